import * as core from '@actions/core';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import type { Globals } from '../shared/globals.js';
import { type Applied, applyDatabaseProperties, createMissingRoles } from './apply-globals.js';
import { runPgRestore } from './pg-restore.js';
import { onTarget } from './target-database.js';

/** What `ownership: auto` did around pg_restore, for the log and the summary; undefined with `none`. */
export interface OwnershipReport {
  /** Roles created, memberships granted, database properties applied. */
  readonly done: readonly string[];
  /** Statements that failed (values left out). */
  readonly failed: readonly string[];
  /** What the backup could not carry (its globals' warnings). */
  readonly warnings: readonly string[];
}

export interface ArchiveRestore {
  readonly binDir: string;
  readonly dumpPath: string;
  readonly target: ConnectionTarget;
  readonly database: string;
  readonly targetMajor: number;
  /** The backup's globals when owners and privileges are to be restored (`ownership: auto`). */
  readonly globals: Globals | undefined;
}

/**
 * Restores the archive into `database`. With globals: the roles it needs first, then pg_restore with owners
 * and privileges, then the database's own settings, comment, privileges and owner. Without: pg_restore
 * --no-owner --no-privileges, everything owned by the user the target connects as.
 */
export async function restoreArchive(restore: ArchiveRestore): Promise<OwnershipReport | undefined> {
  const { globals } = restore;
  const into = { ...restore.target, database: restore.database };
  const roles = globals?.rolesSql
    ? await onTarget(restore.target, (client) => createMissingRoles(client, globals.rolesSql!))
    : undefined;
  if (roles?.done.length) core.info(`Created on the target: ${roles.done.join(', ')}`);
  await runPgRestore(restore.binDir, restore.dumpPath, into, restore.database, restore.targetMajor, {
    ownership: globals !== undefined,
  });
  if (!globals) return undefined;
  const properties = globals.database
    ? await onTarget(into, (client) => applyDatabaseProperties(client, restore.database, globals.database!))
    : undefined;
  const report = merge(roles, properties, globals.warnings);
  if (properties?.done.length)
    core.info(`Applied to database "${restore.database}": ${properties.done.join(', ')}`);
  for (const failure of report.failed) core.warning(`Could not restore ${failure}`);
  return report;
}

function merge(
  roles: Applied | undefined,
  properties: Applied | undefined,
  warnings: readonly string[],
): OwnershipReport {
  return {
    done: [...(roles?.done ?? []), ...(properties?.done ?? [])],
    failed: [...(roles?.failed ?? []), ...(properties?.failed ?? [])],
    warnings,
  };
}
