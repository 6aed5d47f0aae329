import * as core from '@actions/core';
import type { DatabaseSelection } from '../backup/settings.js';
import type { BackupInputs } from '../inputs.js';
import { comparePointReleases, type PgClient } from '../installer/pg-client.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { redactedUrl } from '../postgres/format-url.js';
import { listServerDatabases, onDatabase } from '../postgres/list-databases.js';
import { readServerVersion, type ServerVersion } from '../postgres/server-version.js';
import { Input, Output } from '../shared/constants.js';
import { InputError } from '../shared/errors.js';
import { provideClientForMajor } from './client.js';

/** One database of the run, with its server and client once they are known, or why it cannot be backed up. */
export type PlannedBackup =
  | { readonly target: ConnectionTarget; readonly server: ServerVersion; readonly client: PgClient }
  | { readonly target: ConnectionTarget; readonly error: unknown };

/**
 * The databases of the run, each with its server's version and the pg_dump of exactly that major: one client per
 * major serves every database of it. A newer pg_dump could dump older servers too, but its output is not always
 * loadable into them (pg_dump 17 writes `SET transaction_timeout`, which PostgreSQL 16 rejects), and a drill
 * restores into the backup's own major. With one database any failure is the run's; with several, it is that
 * database's, and the others go on.
 */
export async function planBackups(inputs: BackupInputs): Promise<PlannedBackup[]> {
  const targets = await selectDatabases(inputs.databases);
  const single = targets.length === 1;
  const planned: (
    { target: ConnectionTarget; server: ServerVersion } | { target: ConnectionTarget; error: unknown }
  )[] = [];
  for (const target of targets) {
    try {
      planned.push({ target, server: await serverOf(target, single) });
    } catch (error) {
      if (single) throw error;
      planned.push({ target, error });
    }
  }
  // One after another: each install logs in a group of its own.
  const clients = new Map<number, PgClient | { failed: unknown }>();
  const withClients: PlannedBackup[] = [];
  for (const plan of planned) {
    if (!('server' in plan)) {
      withClients.push(plan);
      continue;
    }
    const { major } = plan.server;
    if (!clients.has(major)) {
      clients.set(major, await clientOrFailure(major, newestOfMajor(planned, major), inputs, single));
    }
    const client = clients.get(major)!;
    withClients.push(
      'failed' in client ? { target: plan.target, error: client.failed } : { ...plan, client },
    );
  }
  return withClients;
}

/** The newest point release among the servers of `major`: the one client of that major must know its catalogs. */
function newestOfMajor(planned: readonly ({ server: ServerVersion } | object)[], major: number): string {
  const versions = planned.flatMap((plan) =>
    'server' in plan && plan.server.major === major ? [plan.server.version] : [],
  );
  return versions.sort(comparePointReleases).at(-1)!;
}

async function clientOrFailure(
  major: number,
  minimumVersion: string,
  inputs: BackupInputs,
  single: boolean,
): Promise<PgClient | { failed: unknown }> {
  try {
    return await provideClientForMajor(major, inputs, { outputs: single, minimumVersion });
  } catch (error) {
    if (single) throw error;
    return { failed: error };
  }
}

/** Every database the inputs name: one per `database-url` line, or those of `databases` on its server. */
export async function selectDatabases(selection: DatabaseSelection): Promise<ConnectionTarget[]> {
  if (selection.kind === 'urls') return [...selection.targets];
  const { server } = selection;
  const present = await core.group('Databases', async () => {
    core.info(`Listing the databases of ${redactedUrl(server)}`);
    return listServerDatabases(server);
  });
  if (selection.names === 'all') {
    const chosen = present.filter((name) => !selection.exclude.includes(name));
    const unknown = selection.exclude.filter((name) => !present.includes(name));
    if (unknown.length) {
      core.warning(`exclude-databases names ${unknown.join(', ')}, which the server does not have.`);
    }
    if (!chosen.length) {
      throw new InputError(
        Input.ExcludeDatabases,
        `leaves no database to back up (the server has ${present.join(', ')}).`,
      );
    }
    core.info(`Backing up ${chosen.length} database(s): ${chosen.join(', ')}`);
    return chosen.map((name) => onDatabase(server, name));
  }
  const missing = selection.names.filter((name) => !present.includes(name));
  if (missing.length) {
    throw new InputError(
      Input.Databases,
      `names ${missing.map((name) => `'${name}'`).join(', ')}, which the server does not have (it has ` +
        `${present.join(', ')}): check the names, or use databases: all.`,
    );
  }
  return selection.names.map((name) => onDatabase(server, name));
}

async function serverOf(target: ConnectionTarget, single: boolean): Promise<ServerVersion> {
  const title = single ? 'PostgreSQL server' : `PostgreSQL server of ${target.database}`;
  const server = await core.group(title, async () => {
    core.info(`Connecting to ${redactedUrl(target)}`);
    const version = await readServerVersion(target);
    core.info(`Server version ${version.fullVersion} (server_version_num ${version.versionNum})`);
    return version;
  });
  if (single) core.setOutput(Output.ServerVersion, server.version);
  return server;
}
