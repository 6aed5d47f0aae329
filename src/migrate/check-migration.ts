import { join } from 'node:path';
import * as core from '@actions/core';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { countAllRows, onTarget } from '../restore/target-database.js';
import { type HeldLock, startLockSampler } from './lock-sampler.js';
import { type MigrationRun, runMigrationCommand } from './run-migration.js';
import { diffSchemas, type SchemaChange, snapshotSchema } from './schema-diff.js';
import { schemaDump } from './schema-dump.js';
import { unifiedDiff } from './unified-diff.js';
import { prepareStatementStats, slowestStatements, type StatementStats } from './statement-stats.js';

/** What the pull request's migrations did to the restored database. */
export interface MigrationAnalysis {
  readonly command: string;
  readonly run: MigrationRun;
  readonly locks: readonly HeldLock[];
  readonly schemaChanges: readonly SchemaChange[];
  readonly schemaDiff: string;
  readonly rowsBefore: ReadonlyMap<string, number>;
  readonly rowsAfter: ReadonlyMap<string, number>;
  readonly statements: StatementStats;
}

/**
 * Runs `command` against the restored database while sampling pg_locks, with the schema (catalog and
 * `pg_dump --schema-only`), the row counts and, where pg_stat_statements is there, the statement statistics
 * taken before and after.
 */
export async function checkMigration(
  command: string,
  target: ConnectionTarget,
  clientBinDir: string,
  rowsBefore: ReadonlyMap<string, number>,
): Promise<MigrationAnalysis> {
  const pgDump = join(clientBinDir, 'pg_dump');
  const [before, statsPrepared] = await onTarget(
    target,
    async (client) => [await snapshotSchema(client), await prepareStatementStats(client)] as const,
  );
  const dumpBefore = await schemaDump(pgDump, target);

  core.info(`Running: ${command}`);
  const sampler = await startLockSampler(target);
  let run: MigrationRun;
  let locks: HeldLock[];
  try {
    run = await runMigrationCommand(command, target);
  } finally {
    locks = await sampler.stop();
  }

  const [after, rowsAfter, statements] = await onTarget(
    target,
    async (client) =>
      [
        await snapshotSchema(client),
        await countAllRows(client),
        await slowestStatements(client, statsPrepared),
      ] as const,
  );
  const dumpAfter = await schemaDump(pgDump, target);
  return {
    command,
    run,
    locks,
    schemaChanges: diffSchemas(before, after),
    schemaDiff: await unifiedDiff(dumpBefore, dumpAfter, ['before', 'after']),
    rowsBefore,
    rowsAfter,
    statements,
  };
}
