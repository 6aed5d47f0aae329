import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupContext, BackupResult } from '../backup/backup-context.js';
import { buildManifest, writeManifest } from '../backup/backup-manifest.js';
import { backupsOutput, type DatabaseBackupOutcome, writeBackupsSummary } from '../backup/backups-report.js';
import { resolveCompression } from '../backup/compression.js';
import { backUpInSession } from '../backup/backup-session.js';
import { storeGlobals } from '../backup/globals-object.js';
import { setBackupOutputs, writeBackupSummary } from '../backup/report.js';
import { withSnapshotSession } from '../backup/snapshot-session.js';
import type { BackupInputs } from '../inputs.js';
import { CLIENT_SOURCE_OUTPUT } from '../installer/pg-client.js';
import { Output } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import { reserveBackupKeys } from '../storage/key-reservation.js';
import { deleteObjectBestEffort } from '../storage/streaming-upload.js';
import { BucketCheck } from './bucket-check.js';
import { planBackups, type PlannedBackup } from './backup-plan.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/**
 * `mode: backup`: for each database, the matching pg_dump, one consistent streamed dump, the manifest last, then
 * its retention. With several databases one failing does not stop the others; the step fails at the end, naming
 * each failure.
 */
export async function backupMode(inputs: BackupInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  const bucket = new BucketCheck(s3, inputs.storage, 'write');
  const planned = await bucket.alongside(() => planBackups(inputs));
  const single = planned.length === 1;
  if (single) facts.database = planned[0]!.target.database;
  const outcomes: DatabaseBackupOutcome[] = [];
  for (const plan of planned) {
    const outcome = await backUpDatabase(inputs, s3, plan, single);
    outcomes.push(outcome);
    // One database: its failure is the step's, as it always was, with nothing of it left to report.
    if (single && outcome.error !== undefined && !outcome.result) throw (outcome as { cause: unknown }).cause;
  }
  core.setOutput(Output.Backups, JSON.stringify(backupsOutput(outcomes)));
  const pruned = outcomes.reduce((sum, outcome) => sum + (outcome.prunedCount ?? 0), 0);
  if (inputs.retention) core.setOutput(Output.PrunedCount, String(pruned));
  if (inputs.retention) facts.prunedCount = pruned;
  if (single) await reportOne(outcomes[0]!, facts);
  else await reportSeveral(outcomes, facts);
}

/** One database's backup and retention; a failure is caught into the outcome, with the error kept as `cause`. */
async function backUpDatabase(
  inputs: BackupInputs,
  s3: S3Client,
  plan: PlannedBackup,
  single: boolean,
): Promise<DatabaseBackupOutcome & { cause?: unknown }> {
  const started = performance.now();
  const database = plan.target.database;
  const seconds = () => (performance.now() - started) / 1000;
  if (!('client' in plan)) {
    // Single: rethrown by the caller, as the step's one error.
    if (!single) core.error(`The backup of ${database} failed: ${errorMessage(plan.error)}`);
    return { database, seconds: 0, error: errorMessage(plan.error), cause: plan.error };
  }
  const { server, client } = plan;
  const clientUsed = { ...client, pgDumpSource: CLIENT_SOURCE_OUTPUT[client.source] };
  const compression = resolveCompression(inputs.compression, client.major);
  const context: BackupContext = {
    inputs: { ...inputs, database: plan.target },
    s3,
    server,
    client,
    compression,
  };
  let result: BackupResult;
  try {
    result = await core.group(single ? 'Backup' : `Backup of ${database}`, () => runBackup(context));
  } catch (error) {
    if (!single) core.error(`The backup of ${database} failed: ${errorMessage(error)}`);
    return { database, client: clientUsed, seconds: seconds(), error: errorMessage(error), cause: error };
  }
  // Only after a backup that succeeded: a failing job never eats into the backups that remain.
  if (!inputs.retention) return { database, result, client: clientUsed, seconds: seconds() };
  try {
    const group = single ? 'Retention' : `Retention of ${database}`;
    const prunedCount = await applyRetention(s3, inputs.storage, database, inputs.retention, group);
    return { database, result, client: clientUsed, prunedCount, seconds: seconds() };
  } catch (error) {
    const message = `The backup ${result.keys.object} is stored and complete, but retention failed: ${errorMessage(error)}`;
    if (!single) core.error(message);
    return { database, result, client: clientUsed, seconds: seconds(), error: message, cause: error };
  }
}

/** A run of one database: the outputs and summary it always had; a retention failure still fails the step. */
async function reportOne(
  outcome: DatabaseBackupOutcome & { cause?: unknown },
  facts: RunFactsDraft,
): Promise<void> {
  const { result, client } = outcome;
  facts.key = result!.keys.object;
  facts.sizeBytes = result!.manifest.object.sizeBytes;
  setBackupOutputs(result!);
  await writeBackupSummary(result!, client!);
  if (outcome.error !== undefined) throw new Error(outcome.error, { cause: outcome.cause });
}

async function reportSeveral(
  outcomes: readonly DatabaseBackupOutcome[],
  facts: RunFactsDraft,
): Promise<void> {
  await writeBackupsSummary(outcomes);
  facts.databases = outcomes.map((outcome) => ({
    database: outcome.database,
    status: outcome.error === undefined ? 'succeeded' : 'failed',
    key: outcome.result?.keys.object,
    sizeBytes: outcome.result?.manifest.object.sizeBytes,
    prunedCount: outcome.prunedCount,
    durationSeconds: outcome.seconds,
    error: outcome.error,
  }));
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  if (!failed.length) return;
  throw new Error(
    `${failed.length} of ${outcomes.length} databases failed (the others are stored): ` +
      failed.map((outcome) => `${outcome.database}: ${firstLine(outcome.error!)}`).join('; '),
  );
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!;
}

/**
 * Reserves the backup's key, dumps the database in one consistent snapshot into it, confirms the stored size,
 * and only then writes the manifest that makes it a backup. On any failure the upload is aborted, the reserved
 * or completed object is deleted, and no manifest is written.
 */
async function runBackup(context: BackupContext): Promise<BackupResult> {
  const started = performance.now();
  const { inputs, s3 } = context;
  const encrypted = inputs.encryption.type !== 'none';
  const { keys, createdAt } = await reserveBackupKeys(
    s3,
    inputs.storage,
    inputs.database.database,
    encrypted,
  );
  try {
    const { outcome, globals, inventory } = await withSnapshotSession(inputs.database, (session) =>
      backUpInSession(context, session, keys),
    );
    const stored = await storeGlobals(context, keys, globals);
    const seconds = (performance.now() - started) / 1000;
    const manifest = buildManifest(
      context,
      keys,
      createdAt,
      { ...outcome, globals: stored, inventory },
      seconds,
    );
    await writeManifest(context, keys, manifest);
    return { keys, manifest };
  } catch (error) {
    // The placeholder, or a completed object, without its manifest: never left behind (a locked one stays
    // visible, for retention to delete once its lock expires).
    const everyVersion = { everyVersion: inputs.storage.writes?.objectLock !== undefined };
    await deleteObjectBestEffort(s3, inputs.storage.bucket, keys.object, everyVersion);
    await deleteObjectBestEffort(s3, inputs.storage.bucket, keys.globals, everyVersion);
    throw error;
  }
}
