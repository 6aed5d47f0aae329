import * as core from '@actions/core';
import type { RestoreInputs } from '../inputs.js';
import type { PgClient } from '../installer/pg-client.js';
import type { ServerVersion } from '../postgres/server-version.js';
import { checkMigration } from '../migrate/check-migration.js';
import { migrationReport } from '../migrate/migration-report.js';
import { publishMigrationReport } from '../migrate/publish-report.js';
import { RestoreError } from '../restore/pg-restore.js';
import { writeDrillSummary, writeFailedDrillSummary } from '../restore/report.js';
import { schemaLine, schemaSection } from '../restore/schema-report.js';
import type { OwnershipReport } from '../restore/restore-archive.js';
import { type DiffSummary, diffRowCounts } from '../restore/row-diff.js';
import { countAllRows, countLargeObjects, onTarget } from '../restore/target-database.js';
import { Output } from '../shared/constants.js';
import { formatDuration } from '../shared/duration.js';
import { errorMessage } from '../shared/errors.js';
import type { Globals } from '../shared/globals.js';
import type { Manifest } from '../shared/manifest.js';
import { describeDiff, describeNotes, proveSchema, type SchemaProof } from '../inventory/index.js';
import type { RunFactsDraft } from './run-facts.js';

/** A drill that ran to its verdict and failed it: the summary is written, the step fails with the reasons. */
export class DrillVerdictError extends Error {
  constructor(failures: readonly string[]) {
    super(`Drill failed: ${failures.join('; ')}.`);
    this.name = 'DrillVerdictError';
  }
}

/** What the drill knows before it judges. */
export interface DrilledBackup {
  readonly manifest: Manifest;
  readonly client: PgClient;
  /** The server restored into, whose build the summary names beside the source's. */
  readonly target: ServerVersion;
  readonly database: string;
  readonly ownership: OwnershipReport | undefined;
  /** The backup's globals, whose key the schema proof's digests need. */
  readonly globals: Globals | undefined;
  readonly backupAgeSeconds: number;
  readonly restoreSeconds: number;
}

/** The drill's verdict: row counts against the manifest, the migration check, RPO and RTO; its summary. */
export async function judgeDrill(
  inputs: RestoreInputs,
  drilled: DrilledBackup,
  facts: RunFactsDraft,
): Promise<void> {
  const { manifest, database } = drilled;
  const restoredTarget = { ...inputs.target, database };
  const { diff, restoredRows } = await core.group('Row counts', () =>
    onTarget(restoredTarget, async (connection) => {
      const rows = await countAllRows(connection);
      return {
        restoredRows: rows,
        diff: diffRowCounts(manifest, rows, await countLargeObjects(connection)),
      };
    }),
  );
  core.setOutput(Output.TablesChecked, String(diff.checked));
  core.setOutput(Output.TablesMismatched, String(diff.mismatched));
  facts.tablesChecked = diff.checked;
  facts.tablesMismatched = diff.mismatched;
  const failures = rowCountFailures(diff);
  // Before the migration: it is meant to change the schema.
  const started = performance.now();
  const source = manifest.server.fullVersion ?? manifest.server.version;
  core.info(`Backup of PostgreSQL ${source}, restored into ${drilled.target.fullVersion}`);
  const schema = await core.group('Schema', () =>
    onTarget(restoredTarget, (connection) =>
      proveSchema(connection, manifest.inventory, {
        digestKey: drilled.globals?.inventoryDigestKey,
        ownership: drilled.ownership !== undefined,
        printers: {
          expected: { versionNum: manifest.server.versionNum, version: source },
          actual: { versionNum: drilled.target.versionNum, version: drilled.target.fullVersion },
        },
      }),
    ),
  );
  core.info(`Schema proof took ${((performance.now() - started) / 1000).toFixed(2)} s`);
  failures.push(...schemaFailures(schema));
  if (inputs.migrateCommand) {
    const analysis = await core.group('Migration check', () =>
      checkMigration(inputs.migrateCommand!, restoredTarget, drilled.client.binDir, restoredRows),
    );
    core.setOutput(Output.MigrateSeconds, analysis.run.seconds.toFixed(1));
    if (analysis.run.exitCode !== 0) {
      const lastLine = analysis.run.outputTail.split('\n').at(-1) ?? '';
      failures.push(
        `migrate-command ${analysis.run.signal ? `was killed by ${analysis.run.signal}` : `exited with code ${analysis.run.exitCode}`}: ${lastLine}`,
      );
    }
    const proof = ['### The restore', '', `Schema: ${schemaLine(schema)}`, schemaSection(schema), ''];
    await publishMigrationReport(migrationReport(analysis, manifest, proof), inputs.githubToken);
  }
  failures.push(...objectiveFailures(inputs, drilled.backupAgeSeconds, drilled.restoreSeconds));
  const result = failures.length ? 'failed' : 'passed';
  core.setOutput(Output.Result, result);
  await writeDrillSummary({ ...drilled, diff, schema, result, failures });
  if (failures.length) throw new DrillVerdictError(failures);
  core.info(`Drill passed: ${diff.checked} tables match the manifest`);
}

/**
 * A drill that failed before its verdict (the restore, the row counts, the schema proof): the outputs and the
 * summary still say what is known, with the failing statements when pg_restore said which. `facts` tells how far
 * it got: a restore that completed has set its `restore-seconds`, row counts that ran their `tables-checked`.
 */
export async function reportFailedDrill(
  known: Pick<DrilledBackup, 'manifest' | 'client' | 'target' | 'backupAgeSeconds' | 'restoreSeconds'>,
  error: unknown,
  facts: RunFactsDraft,
): Promise<void> {
  const restored = facts.restoreSeconds !== undefined;
  const counted = facts.tablesMismatched !== undefined;
  core.setOutput(Output.Result, 'failed');
  if (!restored) core.setOutput(Output.RestoreSeconds, known.restoreSeconds.toFixed(1));
  if (!counted) core.setOutput(Output.TablesChecked, '0');
  facts.restoreSeconds = known.restoreSeconds;
  await writeFailedDrillSummary({
    ...known,
    stage: restored ? (counted ? 'after the row counts' : 'after the restore') : 'during the restore',
    reason: error instanceof RestoreError ? error.message.split('\n')[0]! : errorMessage(error),
    problems: error instanceof RestoreError ? error.problems : [],
  });
}

/** The schema proof's differences as one failure, its lines in the log; what was compared said either way. */
function schemaFailures(schema: SchemaProof): string[] {
  if (!schema.compared) {
    core.info(`Schema not compared: ${schema.reason}`);
    return [];
  }
  const lines = describeDiff(schema.diff);
  core.info(
    `Schema: ${schema.objects} objects compared, ${lines.length} differ; ` +
      `${schema.diff.notComparable.length} not comparable by design`,
  );
  for (const entry of schema.diff.notComparable) {
    core.info(`  not comparable: ${entry.kind} ${entry.name} (${entry.reason})`);
  }
  for (const line of describeNotes(schema.diff)) core.info(`  note: ${line}`);
  if (!lines.length) return [];
  for (const line of lines) core.info(`  ${line}`);
  const shown = lines.slice(0, 10).join('; ');
  return [
    `the restored schema differs from the backup's in ${lines.length} place${lines.length === 1 ? '' : 's'}: ` +
      `${shown}${lines.length > 10 ? `; and ${lines.length - 10} more (see the job summary)` : ''}`,
  ];
}

function rowCountFailures(diff: DiffSummary): string[] {
  if (!diff.mismatched) return [];
  const bad = diff.rows.filter((row) => row.status === 'mismatch' || row.status === 'missing');
  return [
    `${diff.mismatched} of ${diff.checked} tables differ from the manifest: ` +
      bad
        .map((row) => `${row.table} expected ${row.expected ?? '-'}, restored ${row.restored ?? 'missing'}`)
        .join('; '),
  ];
}

/** The RPO and RTO the workflow asked for (max-backup-age, max-restore-time), where they were missed. */
function objectiveFailures(
  inputs: RestoreInputs,
  backupAgeSeconds: number,
  restoreSeconds: number,
): string[] {
  const failures: string[] = [];
  if (inputs.maxBackupAgeSeconds !== undefined && backupAgeSeconds > inputs.maxBackupAgeSeconds) {
    failures.push(
      `the latest backup is ${formatDuration(backupAgeSeconds)} old, over max-backup-age ` +
        `${formatDuration(inputs.maxBackupAgeSeconds)}: backups have stopped or are failing`,
    );
  }
  if (inputs.maxRestoreSeconds !== undefined && restoreSeconds > inputs.maxRestoreSeconds) {
    failures.push(
      `the restore took ${formatDuration(restoreSeconds)}, over max-restore-time ${formatDuration(inputs.maxRestoreSeconds)}`,
    );
  }
  return failures;
}
