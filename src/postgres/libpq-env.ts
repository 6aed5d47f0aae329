import type { ConnectionTarget } from './connection-url.js';
import { LIBPQ_KEYWORDS } from './libpq-keywords.js';

/** libpq's environment variable for each connection keyword (those without one are refused by the URL parser). */
const PARAM_ENV: Record<string, string> = {
  hostaddr: 'PGHOSTADDR',
  passfile: 'PGPASSFILE',
  require_auth: 'PGREQUIREAUTH',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  gssencmode: 'PGGSSENCMODE',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  service: 'PGSERVICE',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

export interface LibpqInvocation {
  /** The child's environment: the connection in PG* variables, the password in PGPASSWORD. */
  readonly env: NodeJS.ProcessEnv;
  /** `--dbname=<conninfo>` for keywords that have no environment variable (keepalives…); never a secret. */
  readonly args: string[];
}

/** Keywords the environment already carries (PGHOST…), and the secrets that must never reach argv. */
const CARRIED = new Set(['host', 'port', 'user', 'password', 'dbname']);
const SECRET_CONNINFO = new Set(['sslpassword', 'oauth_client_secret']);

/** Keywords libpq reads from a connection string only (no PG* variable): they travel in `--dbname`. */
const CONNINFO_ONLY = new Set(
  [...LIBPQ_KEYWORDS].filter((key) => !(key in PARAM_ENV) && !CARRIED.has(key) && !SECRET_CONNINFO.has(key)),
);

/**
 * How to start pg_dump, pg_restore or psql so that it connects exactly where `target` points, with nothing secret
 * in its argv (`sslpassword` and `oauth_client_secret`, which libpq only takes from a connection string, are left
 * out rather than put on a command line).
 */
export function libpqInvocation(
  target: ConnectionTarget,
  base: NodeJS.ProcessEnv = process.env,
): LibpqInvocation {
  const env = libpqEnvironment(target, base);
  const conninfo = [...target.params]
    .filter(([key]) => CONNINFO_ONLY.has(key))
    .map(([key, value]) => `${key}=${quoteConninfo(value)}`);
  if (!conninfo.length) return { env, args: [] };
  return { env, args: [`--dbname=dbname=${quoteConninfo(target.database)} ${conninfo.join(' ')}`] };
}

function quoteConninfo(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The libpq environment that makes pg_dump, pg_restore and psql connect exactly where `target` points, with the
 * password in PGPASSWORD: nothing secret ever reaches a child's argv. Inherited PG* variables are dropped first so
 * that a runner's leftover PGHOST or PGSERVICEFILE cannot redirect the connection.
 */
export function libpqEnvironment(
  target: ConnectionTarget,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!name.startsWith('PG')) env[name] = value;
  env.PGHOST = target.hosts.map((spec) => spec.host).join(',');
  env.PGPORT = target.hosts.map((spec) => String(spec.port)).join(',');
  env.PGUSER = target.user;
  env.PGDATABASE = target.database;
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  for (const [key, value] of target.params) {
    const name = PARAM_ENV[key];
    if (name) env[name] = value;
  }
  return env;
}
