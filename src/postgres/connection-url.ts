/**
 * Parses a PostgreSQL connection URL the way libpq does (`postgresql://[user[:password]@][host[:port][,…]][/db][?k=v&…]`):
 * percent-encoding in every part, bracketed IPv6 hosts, several hosts, a socket directory as host, and libpq's
 * query parameters. The result feeds both node-postgres (to read the server version) and, later, the libpq
 * environment of pg_dump and pg_restore, so the two always connect to the same place.
 */
import { FOREIGN_PARAMS, LIBPQ_KEYWORDS } from './libpq-keywords.js';

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

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface ParseDefaults {
  /** Used when the URL names no user (libpq: the operating-system user). */
  readonly user: string;
  /** Used when the URL names no host (libpq: the compiled-in socket directory). */
  readonly socketDir: string;
}

/** What a URL spells out, before libpq's defaults fill the gaps. */
interface UrlParts {
  user: string | undefined;
  password: string | undefined;
  hosts: { host: string; port: number | undefined }[];
  database: string | undefined;
  queryHosts: string[] | undefined;
  queryPorts: string[] | undefined;
  readonly params: Map<string, string>;
}

/** Reads a `postgresql://` URL as libpq does, with libpq's defaults for what it leaves out. */
export function parseConnectionUrl(url: string, defaults: ParseDefaults): ConnectionTarget {
  let rest = stripScheme(url.trim());
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const parts: UrlParts = {
    user: undefined,
    password: undefined,
    hosts: [],
    database: undefined,
    queryHosts: undefined,
    queryPorts: undefined,
    params: new Map(),
  };
  rest = readCredentials(rest, parts);
  const netlocEnd = firstOf(rest, ['/', '?']);
  parts.hosts = parseHosts(rest.slice(0, netlocEnd));
  rest = readDatabase(rest.slice(netlocEnd), parts);
  if (rest.startsWith('?'))
    for (const pair of rest.slice(1).split('&')) if (pair) readQueryParameter(pair, parts);
  checkParams(parts.params);
  const user = parts.user || defaults.user;
  return {
    hosts: resolveHosts(parts, defaults),
    user,
    password: parts.password === '' ? undefined : parts.password,
    database: parts.database || user,
    params: parts.params,
  };
}

/** The URL after `postgresql://` or `postgres://`, or an error that says what a URL should look like. */
function stripScheme(url: string): string {
  if (!url)
    throw new ConnectionUrlError('is empty: give a URL such as postgresql://user:password@host:5432/dbname');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) {
    if (/^\s*\w+\s*=/.test(url)) {
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
  return url.slice(scheme[0].length);
}

/** libpq: the credentials end at the first '@' before any '/'. Returns what follows them. */
function readCredentials(rest: string, parts: UrlParts): string {
  const credentialsEnd = findCredentialsEnd(rest);
  if (credentialsEnd < 0) return rest;
  const credentials = rest.slice(0, credentialsEnd);
  const colon = credentials.indexOf(':');
  const rawUser = colon >= 0 ? credentials.slice(0, colon) : credentials;
  parts.password = colon >= 0 ? decodePart(credentials.slice(colon + 1), 'the password') : undefined;
  parts.user = rawUser ? decodePart(rawUser, 'the user name') : undefined;
  return rest.slice(credentialsEnd + 1);
}

/** The `/dbname` part, if any. Returns what follows it (the query, or nothing). */
function readDatabase(rest: string, parts: UrlParts): string {
  if (!rest.startsWith('/')) return rest;
  const queryAt = rest.indexOf('?');
  const rawDb = rest.slice(1, queryAt >= 0 ? queryAt : undefined);
  if (rawDb) parts.database = decodePart(rawDb, 'the database name');
  return queryAt >= 0 ? rest.slice(queryAt) : '';
}

/** One `key=value` of the query: libpq's keywords only, the connection's own ones into their fields. */
function readQueryParameter(pair: string, parts: UrlParts): void {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new ConnectionUrlError('has a query parameter without a value (write key=value)');
  const key = decodePart(pair.slice(0, eq), 'a query parameter name');
  const value = decodePart(pair.slice(eq + 1), `the value of '${key}'`);
  if (key === 'ssl' && value === 'true') {
    parts.params.set('sslmode', 'require'); // libpq's JDBC compatibility
    return;
  }
  if (!LIBPQ_KEYWORDS.has(key)) {
    const origin = FOREIGN_PARAMS[key];
    throw new ConnectionUrlError(
      `has the query parameter '${key}', which libpq (and so pg_dump) does not accept` +
        (origin ? ` (it is ${origin})` : '') +
        '; remove it from the URL',
    );
  }
  if (key === 'host') parts.queryHosts = value.split(',');
  else if (key === 'port') parts.queryPorts = value.split(',');
  else if (key === 'user') parts.user = value;
  else if (key === 'password') parts.password = value;
  else if (key === 'dbname') parts.database = value;
  else parts.params.set(key, value);
}

/** Hosts and ports as libpq pairs them: `host=` and `port=` win over the authority; one port serves them all. */
function resolveHosts(parts: UrlParts, defaults: ParseDefaults): HostSpec[] {
  const hosts = parts.queryHosts
    ? parts.queryHosts.map((host) => ({ host: host.trim(), port: undefined }))
    : parts.hosts;
  const ports = parts.queryPorts?.map((port) => parsePort(port.trim()));
  if (ports && ports.length !== 1 && ports.length !== hosts.length) {
    throw new ConnectionUrlError(`names ${hosts.length} hosts but ${ports.length} ports`);
  }
  return (hosts.length ? hosts : [{ host: '', port: undefined }]).map((spec, i) => ({
    host: spec.host || defaults.socketDir,
    port: ports ? (ports.length === 1 ? ports[0]! : ports[i]!) : (spec.port ?? DEFAULT_PORT),
  }));
}

/** The parameters whose values libpq would refuse at connect time, refused up front. */
function checkParams(params: ReadonlyMap<string, string>): void {
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
