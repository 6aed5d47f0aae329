import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { ConnectionTarget, HostSpec, SslMode } from './connection-url.js';
import { describeHost } from './format-url.js';
import { ipv6UnreachableHint } from './provider-hints.js';

export interface ServerVersion {
  /** e.g. `16.4` (the first word of `server_version`). */
  readonly version: string;
  /** e.g. `160004` (`server_version_num`). */
  readonly versionNum: number;
  readonly major: number;
  /** `server_version` whole, which names the build: e.g. `15.20 (Debian 15.20-0+deb12u1)`, or `16.4`. */
  readonly fullVersion: string;
}

/** A build's name is a server's own text: kept to one line of reasonable length. */
const MAX_FULL_VERSION = 120;

/** A failure to reach or log in to the database, with the likely cause spelled out. */
export class DatabaseConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseConnectionError';
  }
}

const DEFAULT_CONNECT_TIMEOUT_SECONDS = 20;

export function majorOf(versionNum: number): number {
  return versionNum >= 100_000 ? Math.floor(versionNum / 10_000) : Math.floor(versionNum / 100);
}

/** Connects (trying each host in turn, as libpq does) and reads the server's version. */
export async function readServerVersion(target: ConnectionTarget): Promise<ServerVersion> {
  const failures: string[] = [];
  for (const host of target.hosts) {
    try {
      return await withClient(target, host, async (client) => {
        const result = await client.query<{ server_version: string; server_version_num: string }>(
          "SELECT current_setting('server_version') AS server_version, " +
            "current_setting('server_version_num') AS server_version_num",
        );
        const row = result.rows[0]!;
        const versionNum = Number(row.server_version_num);
        const fullVersion = row.server_version.replace(/\s+/g, ' ').trim().slice(0, MAX_FULL_VERSION);
        return { version: fullVersion.split(' ')[0]!, versionNum, major: majorOf(versionNum), fullVersion };
      });
    } catch (error) {
      failures.push(explainConnectionError(error, target, host));
    }
  }
  throw new DatabaseConnectionError(failures.join('\n'));
}

/** Opens one connection to `host` honouring the URL's sslmode, runs `work`, and always closes it. */
export async function withClient<T>(
  target: ConnectionTarget,
  host: HostSpec,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const sslmode = (target.params.get('sslmode') ?? 'prefer') as SslMode;
  // libpq's prefer/allow try one way and fall back to the other; node-postgres has no such mode, so do it here.
  const attempts: (ConnectionOptions | false)[] =
    sslmode === 'prefer'
      ? [tlsOptions(target, host, 'require'), false]
      : sslmode === 'allow'
        ? [false, tlsOptions(target, host, 'require')]
        : [sslmode === 'disable' ? false : tlsOptions(target, host, sslmode)];
  let lastError: unknown;
  for (const ssl of attempts) {
    const client = new pg.Client(clientConfig(target, host, ssl));
    client.on('error', () => undefined); // an idle connection dropping must not crash the process
    try {
      await client.connect();
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      if (attempts.length > 1 && isSslNegotiationFailure(error)) continue;
      throw error;
    }
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw lastError;
}

function clientConfig(
  target: ConnectionTarget,
  host: HostSpec,
  ssl: ConnectionOptions | false,
): pg.ClientConfig {
  const timeoutSeconds = Number(target.params.get('connect_timeout') ?? DEFAULT_CONNECT_TIMEOUT_SECONDS);
  return {
    host: host.host,
    port: host.port,
    user: target.user,
    password: target.password ?? '',
    database: target.database,
    ssl,
    connectionTimeoutMillis: (timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000,
    application_name: target.params.get('application_name') ?? 'postgres-backup-action',
    options: target.params.get('options'),
    client_encoding: target.params.get('client_encoding'),
    keepAlive: true,
  };
}

/** TLS options with libpq's meaning of each sslmode. */
function tlsOptions(target: ConnectionTarget, host: HostSpec, sslmode: SslMode): ConnectionOptions {
  const rootCert = target.params.get('sslrootcert');
  const options: ConnectionOptions = {};
  if (!host.host.startsWith('/') && target.params.get('sslsni') !== '0') options.servername = host.host;
  const cert = target.params.get('sslcert');
  const key = target.params.get('sslkey');
  if (cert) options.cert = readSslFile(cert, 'sslcert');
  if (key) options.key = readSslFile(key, 'sslkey');
  if (rootCert && rootCert !== 'system') options.ca = readSslFile(rootCert, 'sslrootcert');
  // libpq: require with a root certificate verifies the chain, like verify-ca.
  const verifyChain =
    sslmode === 'verify-ca' || sslmode === 'verify-full' || (sslmode === 'require' && !!rootCert);
  options.rejectUnauthorized = verifyChain;
  if (verifyChain && sslmode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}

function readSslFile(path: string, param: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new DatabaseConnectionError(
      `database-url: cannot read the ${param} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

function isSslNegotiationFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /does not support SSL|SSL|TLS|ECONNRESET/i.test(message);
}

/** Turns a connection failure into a sentence that names the likely cause and never the password. */
export function explainConnectionError(error: unknown, target: ConnectionTarget, host: HostSpec): string {
  const where = describeHost(host);
  const err = socketError(error);
  const message = err.message ?? String(error);
  if (error instanceof DatabaseConnectionError) return message;
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `database-url: could not resolve the host "${host.host}" (${err.code}): check the host name for typos; a private host name only resolves inside its own network.`;
    case 'ECONNREFUSED':
      return `database-url: connection refused at ${where}: no server listens there. Check the host and port, and that the database accepts connections from outside its provider's network.`;
    case 'ENOENT':
      return `database-url: no server socket at ${where}: check the socket directory in host= and the port.`;
    case 'EACCES':
      return `database-url: permission denied opening ${where}.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      if (err.address?.includes(':')) {
        return `database-url: the network cannot reach ${where} (${err.code}): ${ipv6UnreachableHint(host, err.address)}`;
      }
      return `database-url: the network cannot reach ${where} (${err.code}): the runner has no route to that address.`;
    case 'ETIMEDOUT':
      return timeoutMessage(where);
    case '28P01':
      return `database-url: password authentication failed for user "${target.user}" at ${where}: check the password (percent-encode @ : / ? # % in it) and the user name.`;
    case '28000':
      return `database-url: the server at ${where} refused user "${target.user}" on database "${target.database}": ${message}. Check the user name, and whether the server requires SSL (add ?sslmode=require) or allows this client's address.`;
    case '3D000':
      return `database-url: the database "${target.database}" does not exist on ${where}: check the database name (the path after the host in the URL).`;
    case '53300':
      return `database-url: the server at ${where} has no connection slots left (too many connections): retry later or use a direct (non-pooled) connection string.`;
    case '57P03':
      return `database-url: the server at ${where} is starting up or shutting down: retry in a moment.`;
  }
  if (/timeout/i.test(message)) return timeoutMessage(where);
  if (target.password === undefined && /password/i.test(message)) {
    return `database-url: the server at ${where} asks user "${target.user}" for a password, but the URL has none: write it as postgresql://user:PASSWORD@host:port/dbname.`;
  }
  if (/does not support SSL/i.test(message)) {
    return `database-url: the server at ${where} does not accept SSL connections, but sslmode=${target.params.get('sslmode') ?? 'require'} requires SSL: use sslmode=prefer or disable only if the network path is trusted.`;
  }
  if (/certificate|self[- ]signed|unable to verify|Hostname\/IP does not match/i.test(message)) {
    return `database-url: the server's SSL certificate at ${where} was not accepted (${message}): set sslrootcert to the provider's CA file, or use sslmode=require to encrypt without verifying.`;
  }
  return `database-url: could not connect to ${where}: ${message}`;
}

interface SocketError {
  readonly code?: string;
  readonly message?: string;
  /** The address a socket failed to reach (Node's connect errors carry it). */
  readonly address?: string;
}

/**
 * The error that says why: Node tries every address of a host (IPv6 and IPv4) and, when all fail, reports an
 * AggregateError without a code of its own; the first attempt's error then speaks for it.
 */
function socketError(error: unknown): SocketError {
  const err = error as SocketError & { errors?: unknown[] };
  if (err.code === undefined && Array.isArray(err.errors) && err.errors.length > 0) {
    const first = err.errors[0] as SocketError;
    return { ...first, message: err.message || first.message };
  }
  return err;
}

function timeoutMessage(where: string): string {
  return `database-url: timed out connecting to ${where}: a firewall or an IP allow-list is probably dropping the runner's connection (GitHub-hosted runners connect from changing addresses); raise connect_timeout in the URL if the server is just slow.`;
}
