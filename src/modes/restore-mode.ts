import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { Output } from '../shared/constants.js';
import type { PgClient } from '../installer/pg-client.js';
import type { Manifest } from '../shared/manifest.js';
import { formatDuration } from '../shared/duration.js';
import type { RestoreInputs } from '../inputs.js';
import { redactedUrl } from '../postgres/format-url.js';
import { readServerVersion, type ServerVersion } from '../postgres/server-version.js';
import { fetchVerifiedDump } from '../restore/fetch-dump.js';
import { listArchive, runPgRestore } from '../restore/pg-restore.js';
import { backupMajor, readManifest } from '../restore/read-manifest.js';
import { writeDrillSummary, writeRestoreSummary } from '../restore/report.js';
import { type DiffSummary, diffRowCounts } from '../restore/row-diff.js';
import {
  countAllRows,
  countLargeObjects,
  createDrillDatabase,
  inspectTarget,
  onTarget,
} from '../restore/target-database.js';
import { resolveManifestKey } from '../storage/backup-catalog.js';
import { checkMigration } from '../migrate/check-migration.js';
import { migrationReport } from '../migrate/migration-report.js';
import { publishMigrationReport } from '../migrate/publish-report.js';
import { BucketCheck } from './bucket-check.js';
import { provideClientForMajor } from './client.js';
import type { RunFactsDraft } from './run-facts.js';
import { runnerTemp } from '../shared/runner-temp.js';

/**
 * `mode: restore` and `mode: drill`: find the backup, prove it intact before the target sees a statement,
 * restore it with the backup's pg_restore, and (drill) compare every table's rows with the manifest, measuring
 * the RPO (backup age) and RTO (restore time) the team actually has.
 */
export async function restoreMode(inputs: RestoreInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  const drill = inputs.mode === 'drill';
  try {
    await new BucketCheck(s3, inputs.storage, 'read').report();
    await restoreOrDrill(inputs, s3, facts);
  } catch (error) {
    if (drill) core.setOutput(Output.Result, 'failed');
    throw error;
  }
}

async function restoreOrDrill(inputs: RestoreInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  const drill = inputs.mode === 'drill';
  const manifest = await findBackup(inputs, s3);
  const backupAgeSeconds = Math.max(0, (Date.now() - Date.parse(manifest.createdAt)) / 1000);
  facts.database = manifest.database;
  facts.key = manifest.object.key;
  if (drill) facts.backupAgeSeconds = backupAgeSeconds;
  if (drill) core.setOutput(Output.BackupAgeSeconds, backupAgeSeconds.toFixed(0));
  const server = await targetServer(inputs, manifest);
  const client = await provideClientForMajor(backupMajor(manifest), inputs);

  const temp = runnerTemp();
  await mkdir(temp, { recursive: true });
  const work = await mkdtemp(join(temp, 'postgres-restore-'));
  try {
    const started = performance.now();
    const database = await verifyAndRestore(inputs, s3, manifest, client, server, join(work, 'backup.dump'));
    const restoreSeconds = (performance.now() - started) / 1000;
    core.setOutput(Output.RestoreSeconds, restoreSeconds.toFixed(1));
    facts.restoreSeconds = restoreSeconds;
    core.info(`Restored in ${formatDuration(restoreSeconds)}`);
    if (drill)
      await judgeDrill(inputs, manifest, client, { database, backupAgeSeconds, restoreSeconds }, facts);
    else await writeRestoreSummary(manifest, database, restoreSeconds, client);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The manifest of the backup to restore (`latest`, or the one named), its keys set as outputs. */
async function findBackup(inputs: RestoreInputs, s3: S3Client): Promise<Manifest> {
  return core.group('Backup', async () => {
    const manifestKey = await resolveManifestKey(s3, inputs.storage, inputs.backup, inputs.databaseName);
    core.setOutput(Output.ManifestKey, manifestKey);
    const found = await readManifest(s3, inputs.storage, manifestKey);
    core.setOutput(Output.Key, found.object.key);
    core.info(
      `${found.object.key}: ${found.database}, made ${found.createdAt} by pg_dump ${found.client.pgDump} from ` +
        `PostgreSQL ${found.server.version}, ${found.object.sizeBytes} bytes, encryption ${found.encryption.type}`,
    );
    return found;
  });
}

/** The target's version, with a warning when it is older than the backup's own major. */
async function targetServer(inputs: RestoreInputs, manifest: Manifest): Promise<ServerVersion> {
  const server = await core.group('Target server', async () => {
    core.info(`Connecting to ${redactedUrl(inputs.target)}`);
    const version = await readServerVersion(inputs.target);
    core.info(`Server version ${version.version}`);
    return version;
  });
  core.setOutput(Output.ServerVersion, server.version);
  const major = backupMajor(manifest);
  if (server.major < major) {
    core.warning(
      `The target runs PostgreSQL ${server.version}, older than the backup's pg_dump ${manifest.client.pgDump}: ` +
        'the dump may hold SQL an older server rejects. Restore into PostgreSQL ' +
        `${major} or newer.`,
    );
  }
  return server;
}

/** Proves the backup intact before the target sees a statement, then restores it; resolves to the database. */
async function verifyAndRestore(
  inputs: RestoreInputs,
  s3: S3Client,
  manifest: Manifest,
  client: PgClient,
  server: ServerVersion,
  dumpPath: string,
): Promise<string> {
  await core.group('Integrity', async () => {
    await fetchVerifiedDump(s3, inputs.storage, manifest, inputs.decryption, dumpPath);
    core.info(
      `SHA-256 ${manifest.object.sha256} matches the manifest; ${manifest.encryption.type} decryption authenticated`,
    );
    await listArchive(client.binDir, dumpPath);
    core.info('pg_restore reads the archive');
  });
  return core.group('Restore', async () => {
    const into = await chooseDatabase(inputs);
    core.info(`Restoring into database "${into}" with pg_restore ${client.version}`);
    await runPgRestore(client.binDir, dumpPath, inputs.target, into, server.major);
    return into;
  });
}

interface Restored {
  readonly database: string;
  readonly backupAgeSeconds: number;
  readonly restoreSeconds: number;
}

/** The drill's verdict: row counts against the manifest, the migration check, RPO and RTO; its summary. */
async function judgeDrill(
  inputs: RestoreInputs,
  manifest: Manifest,
  client: PgClient,
  restored: Restored,
  facts: RunFactsDraft,
): Promise<void> {
  const { database, backupAgeSeconds, restoreSeconds } = restored;
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
  facts.tablesMismatched = diff.mismatched;
  const failures = rowCountFailures(diff);
  if (inputs.migrateCommand) {
    const analysis = await core.group('Migration check', () =>
      checkMigration(inputs.migrateCommand!, restoredTarget, client.binDir, restoredRows),
    );
    core.setOutput(Output.MigrateSeconds, analysis.run.seconds.toFixed(1));
    if (analysis.run.exitCode !== 0) {
      const lastLine = analysis.run.outputTail.split('\n').at(-1) ?? '';
      failures.push(
        `migrate-command ${analysis.run.signal ? `was killed by ${analysis.run.signal}` : `exited with code ${analysis.run.exitCode}`}: ${lastLine}`,
      );
    }
    await publishMigrationReport(migrationReport(analysis, manifest), inputs.githubToken);
  }
  failures.push(...objectiveFailures(inputs, backupAgeSeconds, restoreSeconds));
  const result = failures.length ? 'failed' : 'passed';
  core.setOutput(Output.Result, result);
  await writeDrillSummary({
    manifest,
    client,
    database,
    diff,
    backupAgeSeconds,
    restoreSeconds,
    result,
    failures,
  });
  if (failures.length) throw new Error(`Drill failed: ${failures.join('; ')}.`);
  core.info(`Drill passed: ${diff.checked} tables match the manifest`);
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

/**
 * The database to restore into: the target's own database when it is empty; for a drill into a non-empty
 * target, a fresh database beside it; a restore never writes into a database that already holds objects.
 */
async function chooseDatabase(inputs: RestoreInputs): Promise<string> {
  return onTarget(inputs.target, async (connection) => {
    const state = await inspectTarget(connection);
    if (state.objects === 0) return inputs.target.database;
    if (inputs.mode === 'restore') {
      throw new Error(
        `The target database "${inputs.target.database}" is not empty (${state.objects} tables, views, sequences or ` +
          'extensions): a restore only writes into an empty database, so nothing is overwritten. Create one ' +
          '(createdb) and point target-url at it, or use mode: drill, which creates its own.',
      );
    }
    const name = await createDrillDatabase(connection, new Date());
    core.info(
      `The target database is not empty: the drill restores into a new database "${name}" (kept for inspection)`,
    );
    return name;
  });
}
