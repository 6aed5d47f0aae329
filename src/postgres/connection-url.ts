/**
 * Parses a PostgreSQL connection URL the way libpq does (`postgresql://[user[:password]@][host[:port][,…]][/db][?k=v&…]`):
 * percent-encoding in every part, bracketed IPv6 hosts, several hosts, a socket directory as host, and libpq's
 * query parameters. The result feeds both node-postgres (to read the server version) and, later, the libpq
 * environment of pg_dump and pg_restore, so the two always connect to the same place.
 */

export interface HostSpec {
  /** A host name, an IP address (IPv6 without brackets), or an absolute socket directory. */
  readonly host: string;
  readonly port: number;
}

export interface ConnectionTarget {
  readonly hosts: readonly HostSpec[];
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
  /** libpq parameters other than host, port, user, password and dbname (sslmode, connect_timeout, …). */
  readonly params: ReadonlyMap<string, string>;
}

/** Why a URL was refused; the message never contains the password. */
export class ConnectionUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionUrlError';
  }
}

export const DEFAULT_PORT = 5432;

/** Every connection keyword libpq (up to 18) accepts; any other query parameter makes libpq refuse the URL. */
export const LIBPQ_KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'require_auth',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslkeylogfile',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'min_protocol_version',
  'max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'oauth_issuer',
  'oauth_client_id',
  'oauth_client_secret',
  'oauth_scope',
]);

/** Parameters that ORMs and poolers put in URLs but libpq rejects, with what to do about them. */
const FOREIGN_PARAMS: Record<string, string> = {
  schema: 'a Prisma option',
  pgbouncer: 'a Prisma option',
  connection_limit: 'a Prisma option',
  pool_timeout: 'a Prisma option',
  statement_cache_size: 'a Prisma option',
  socket_timeout: 'a Prisma option',
  sslaccept: 'a Prisma option',
  ssl: 'a JDBC or node-postgres option (libpq only accepts ssl=true)',
};

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface ParseDefaults {
  /** Used when the URL names no user (libpq: the operating-system user). */
  readonly user: string;
  /** Used when the URL names no host (libpq: the compiled-in socket directory). */
  readonly socketDir: string;
}

export function parseConnectionUrl(url: string, defaults: ParseDefaults): ConnectionTarget {
  const trimmed = url.trim();
  if (!trimmed)
    throw new ConnectionUrlError('is empty: give a URL such as postgresql://user:password@host:5432/dbname');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (!scheme) {
    if (/^\s*\w+\s*=/.test(trimmed)) {
      throw new ConnectionUrlError(
        'looks like a key=value connection string; write it as a URL: postgresql://user:password@host:5432/dbname',
      );
    }
    throw new ConnectionUrlError(
      'is not a URL: it must start with postgresql:// or postgres://, e.g. postgresql://user:password@host:5432/dbname',
    );
  }
  const schemeName = scheme[1]!.toLowerCase();
  if (schemeName !== 'postgresql' && schemeName !== 'postgres') {
    throw new ConnectionUrlError(
      `has the scheme '${schemeName}://', which is not PostgreSQL: it must start with postgresql:// or postgres://`,
    );
  }
  let rest = trimmed.slice(scheme[0].length);

  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);

  // libpq: the credentials end at the first '@' before any '/'.
  let user: string | undefined;
  let password: string | undefined;
  const credentialsEnd = findCredentialsEnd(rest);
  if (credentialsEnd >= 0) {
    const credentials = rest.slice(0, credentialsEnd);
    rest = rest.slice(credentialsEnd + 1);
    const colon = credentials.indexOf(':');
    const rawUser = colon >= 0 ? credentials.slice(0, colon) : credentials;
    password = colon >= 0 ? decodePart(credentials.slice(colon + 1), 'the password') : undefined;
    user = rawUser ? decodePart(rawUser, 'the user name') : undefined;
  }

  const netlocEnd = firstOf(rest, ['/', '?']);
  const netloc = rest.slice(0, netlocEnd);
  rest = rest.slice(netlocEnd);
  let hosts = parseHosts(netloc);

  let database: string | undefined;
  if (rest.startsWith('/')) {
    const queryAt = rest.indexOf('?');
    const rawDb = rest.slice(1, queryAt >= 0 ? queryAt : undefined);
    if (rawDb) database = decodePart(rawDb, 'the database name');
    rest = queryAt >= 0 ? rest.slice(queryAt) : '';
  }

  const params = new Map<string, string>();
  let queryHosts: string[] | undefined;
  let queryPorts: string[] | undefined;
  if (rest.startsWith('?')) {
    for (const pair of rest.slice(1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ConnectionUrlError('has a query parameter without a value (write key=value)');
      const key = decodePart(pair.slice(0, eq), 'a query parameter name');
      const value = decodePart(pair.slice(eq + 1), `the value of '${key}'`);
      if (key === 'ssl' && value === 'true') {
        params.set('sslmode', 'require'); // libpq's JDBC compatibility
        continue;
      }
      if (!LIBPQ_KEYWORDS.has(key)) {
        const origin = FOREIGN_PARAMS[key];
        throw new ConnectionUrlError(
          `has the query parameter '${key}', which libpq (and so pg_dump) does not accept` +
            (origin ? ` (it is ${origin})` : '') +
            '; remove it from the URL',
        );
      }
      switch (key) {
        case 'host':
          queryHosts = value.split(',');
          break;
        case 'port':
          queryPorts = value.split(',');
          break;
        case 'user':
          user = value;
          break;
        case 'password':
          password = value;
          break;
        case 'dbname':
          database = value;
          break;
        default:
          params.set(key, value);
      }
    }
  }

  if (queryHosts) hosts = queryHosts.map((host) => ({ host: host.trim(), port: undefined }));
  const ports = queryPorts?.map((port) => parsePort(port.trim()));
  if (ports && ports.length !== 1 && ports.length !== hosts.length) {
    throw new ConnectionUrlError(`names ${hosts.length} hosts but ${ports.length} ports`);
  }
  const resolvedHosts: HostSpec[] = (hosts.length ? hosts : [{ host: '', port: undefined }]).map(
    (spec, i) => ({
      host: spec.host || defaults.socketDir,
      port: ports ? (ports.length === 1 ? ports[0]! : ports[i]!) : (spec.port ?? DEFAULT_PORT),
    }),
  );

  const sslmode = params.get('sslmode');
  if (sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new ConnectionUrlError(`has sslmode=${sslmode}; libpq accepts ${SSL_MODES.join(', ')}`);
  }
  const connectTimeout = params.get('connect_timeout');
  if (connectTimeout !== undefined && !/^\d+$/.test(connectTimeout)) {
    throw new ConnectionUrlError(
      `has connect_timeout=${connectTimeout}; it must be a whole number of seconds`,
    );
  }

  const finalUser = user || defaults.user;
  return {
    hosts: resolvedHosts,
    user: finalUser,
    password: password === '' ? undefined : password,
    database: database || finalUser,
    params,
  };
}

/** The URL with the password replaced by `***`, for messages and logs. */
export function redactedUrl(target: ConnectionTarget): string {
  return formatUrl(target, false);
}

/**
 * The URL with the password, for a child's DATABASE_URL environment variable (a migration tool reads it there);
 * never for argv or logs.
 */
export function connectionUrl(target: ConnectionTarget): string {
  return formatUrl(target, true);
}

function formatUrl(target: ConnectionTarget, withPassword: boolean): string {
  const password =
    target.password === undefined ? '' : `:${withPassword ? encodeURIComponent(target.password) : '***'}`;
  const credentials = encodeURIComponent(target.user) + password;
  const socketHosts = target.hosts.filter((h) => h.host.startsWith('/'));
  const tcpHosts = target.hosts.filter((h) => !h.host.startsWith('/'));
  const netloc = tcpHosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(',');
  const query = new URLSearchParams();
  if (socketHosts.length) {
    query.set('host', socketHosts.map((h) => h.host).join(','));
    query.set('port', socketHosts.map((h) => String(h.port)).join(','));
  }
  for (const [key, value] of target.params) query.set(key, value);
  const queryString = query.toString();
  return `postgresql://${credentials}@${netloc}/${encodeURIComponent(target.database)}${queryString ? `?${queryString}` : ''}`;
}

/** How a host is shown in messages: `host:port`, `[::1]:port`, or the socket file. */
export function describeHost(spec: HostSpec): string {
  if (spec.host.startsWith('/')) return `the socket ${spec.host}/.s.PGSQL.${spec.port}`;
  return spec.host.includes(':') ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
}

function findCredentialsEnd(rest: string): number {
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '/') return -1;
    if (rest[i] === '@') {
      // A password may hold an unencoded '@' only if it is the last one before the host; take the last '@'
      // before the first '/' after it, as browsers and most drivers do.
      const slash = rest.indexOf('/', i);
      const end = slash >= 0 ? slash : rest.length;
      return rest.lastIndexOf('@', end - 1);
    }
  }
  return -1;
}

function parseHosts(netloc: string): { host: string; port: number | undefined }[] {
  if (!netloc) return [];
  const hosts: { host: string; port: number | undefined }[] = [];
  for (const item of splitHostList(netloc)) {
    let host: string;
    let portText: string | undefined;
    if (item.startsWith('[')) {
      const close = item.indexOf(']');
      if (close < 0) throw new ConnectionUrlError("has an IPv6 host without its closing ']'");
      host = item.slice(1, close);
      const after = item.slice(close + 1);
      if (after && !after.startsWith(':')) {
        throw new ConnectionUrlError(
          "has unexpected text after a bracketed IPv6 host: only ':port' may follow ']'",
        );
      }
      portText = after ? after.slice(1) : undefined;
    } else {
      const colon = item.lastIndexOf(':');
      host = colon >= 0 ? item.slice(0, colon) : item;
      portText = colon >= 0 ? item.slice(colon + 1) : undefined;
    }
    hosts.push({
      host: decodePart(host, 'the host'),
      port: portText === undefined || portText === '' ? undefined : parsePort(portText),
    });
  }
  return hosts;
}

function splitHostList(netloc: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < netloc.length; i++) {
    const ch = netloc[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      items.push(netloc.slice(start, i));
      start = i + 1;
    }
  }
  items.push(netloc.slice(start));
  return items;
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    // The text is not quoted: in a malformed URL it may be part of an unencoded password.
    throw new ConnectionUrlError(
      'has a port that is not a number from 1 to 65535 (if the password holds : / @ ? or #, percent-encode them)',
    );
  }
  return port;
}

function decodePart(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ConnectionUrlError(
      `has a malformed percent-encoding in ${what}: ` +
        'encode special characters as %XX (for example @ as %40, : as %3A, / as %2F, % as %25)',
    );
  }
}

function firstOf(text: string, chars: string[]): number {
  let best = text.length;
  for (const ch of chars) {
    const at = text.indexOf(ch);
    if (at >= 0 && at < best) best = at;
  }
  return best;
}
