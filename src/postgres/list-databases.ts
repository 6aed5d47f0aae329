import type { ConnectionTarget } from './connection-url.js';
import { DatabaseConnectionError, explainConnectionError, withClient } from './server-version.js';

/**
 * The databases `databases: all` backs up: every one that accepts connections, templates aside (template0 never
 * does; template1 and the templates a team made are copies, not data). Trying each host in turn, as libpq does.
 */
export async function listServerDatabases(server: ConnectionTarget): Promise<string[]> {
  const failures: string[] = [];
  for (const host of server.hosts) {
    try {
      return await withClient(server, host, async (client) => {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname',
        );
        return rows.map((row) => row.datname);
      });
    } catch (error) {
      failures.push(explainConnectionError(error, server, host));
    }
  }
  throw new DatabaseConnectionError(failures.join('\n'));
}

/** The same server, another of its databases: what a line of `databases` means. */
export function onDatabase(server: ConnectionTarget, database: string): ConnectionTarget {
  return { ...server, database };
}
