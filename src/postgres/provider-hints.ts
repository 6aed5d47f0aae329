/**
 * What users of managed Postgres meet when the runner's network or a connection pooler is in the way, and which
 * connection string to use instead. The host shapes are the providers' own (Supabase, Neon); anything else gets
 * the general advice.
 */
import type { HostSpec } from './connection-url.js';

const SUPABASE_DIRECT = /^db\.([a-z0-9]+)\.supabase\.co$/i;
const SUPABASE_POOLER = /\.pooler\.supabase\.com$/i;
const NEON_POOLER = /^(ep-[a-z0-9-]+)-pooler(\..+\.neon\.tech)$/i;
/** The port providers give their transaction-mode PgBouncer (Supabase's Supavisor and dedicated pooler). */
const TRANSACTION_POOLER_PORT = 6543;

/** Why an IPv6 address cannot be reached from the runner, and what to connect to instead. */
export function ipv6UnreachableHint(host: HostSpec, address: string): string {
  const why = `${address} is an IPv6 address, and this runner has no IPv6 route (GitHub-hosted runners have none). `;
  const supabase = SUPABASE_DIRECT.exec(host.host);
  if (supabase) {
    return (
      why +
      `Supabase's direct host ${host.host} resolves to IPv6 only: use the session pooler's connection string ` +
      `instead (in the dashboard, Connect → Session pooler: port 5432 on aws-0-<region>.pooler.supabase.com, ` +
      `user postgres.${supabase[1]!.toLowerCase()}), or Supabase's IPv4 add-on, or a runner with IPv6.`
    );
  }
  return (
    why +
    "Use a host name or address of the database that has an IPv4 address (the provider's IPv4 endpoint or " +
    'pooler in session mode), or a self-hosted runner with IPv6.'
  );
}

/**
 * Which connection to use when pg_dump could not share the backup's snapshot because a transaction pooler sent
 * it to another server session.
 */
export function directConnectionHint(host: HostSpec, user: string): string {
  if (
    SUPABASE_POOLER.test(host.host) ||
    (SUPABASE_DIRECT.test(host.host) && host.port === TRANSACTION_POOLER_PORT)
  ) {
    const ref = /^postgres\.([a-z0-9]+)$/i.exec(user)?.[1] ?? SUPABASE_DIRECT.exec(host.host)?.[1];
    const session = SUPABASE_POOLER.test(host.host)
      ? `${host.host}:5432`
      : 'aws-0-<region>.pooler.supabase.com:5432';
    return (
      `port ${host.port} is Supabase's transaction pooler: use the session pooler, ${session}` +
      `${ref ? ` with user postgres.${ref.toLowerCase()}` : ''} (the direct host db.<ref>.supabase.co is IPv6-only, ` +
      'which GitHub-hosted runners cannot reach)'
    );
  }
  const neon = NEON_POOLER.exec(host.host);
  if (neon) return `${host.host} is Neon's pooled host: use the direct host ${neon[1]}${neon[2]}`;
  return (
    `connect to the database server itself, not through a pooler in transaction mode (PgBouncer; port ` +
    `${TRANSACTION_POOLER_PORT} at some providers): ${host.host}:${host.port} looks like one`
  );
}
