/** Connection URLs and hosts written back out: for logs and messages (no password), or for a child's environment. */
import type { ConnectionTarget, HostSpec } from './connection-url.js';

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
