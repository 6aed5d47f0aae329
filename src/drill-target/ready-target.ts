import * as core from '@actions/core';
import { parseConnectionUrl } from '../postgres/connection-url.js';
import { readServerVersion, withClient } from '../postgres/server-version.js';
import { quoteIdent } from '../shared/sql.js';

/** How long a freshly started server may take to accept connections. */
const READY_TIMEOUT_MS = 120_000;

/**
 * Waits until the server at `url` answers, and, when `create`, makes the database the backup came from (a
 * postgres container makes its own from POSTGRES_DB); resolves to the URL of that database.
 */
export async function waitAndCreateDatabase(url: string, database: string, create: boolean): Promise<string> {
  const target = parseConnectionUrl(url, { user: 'postgres', socketDir: '/tmp' });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const version = await readServerVersion(target);
      core.info(`Server version ${version.fullVersion}`);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (!create) return url;
  await withClient(target, target.hosts[0]!, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(database)}`),
  );
  const withDatabase = new URL(url);
  withDatabase.pathname = `/${encodeURIComponent(database)}`;
  return withDatabase.toString();
}
