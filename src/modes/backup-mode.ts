import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupContext, BackupResult } from '../backup/backup-context.js';
import { buildManifest, writeManifest } from '../backup/backup-manifest.js';
import { resolveCompression } from '../backup/compression.js';
import { backUpInSession } from '../backup/backup-session.js';
import { storeGlobals } from '../backup/globals-object.js';
import { setBackupOutputs, writeBackupSummary } from '../backup/report.js';
import { withSnapshotSession } from '../backup/snapshot-session.js';
import type { BackupInputs } from '../inputs.js';
import type { PgClient } from '../installer/pg-client.js';
import { redactedUrl } from '../postgres/format-url.js';
import { readServerVersion, type ServerVersion } from '../postgres/server-version.js';
import { Output } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import { reserveBackupKeys } from '../storage/key-reservation.js';
import { deleteObjectBestEffort } from '../storage/streaming-upload.js';
import { BucketCheck } from './bucket-check.js';
import { provideClientForMajor } from './client.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/** `mode: backup`: the matching pg_dump, one consistent streamed dump, the manifest last, then retention. */
export async function backupMode(inputs: BackupInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  facts.database = inputs.database.database;
  const bucket = new BucketCheck(s3, inputs.storage, 'write');
  const { server, client } = await bucket.alongside(() => serverAndClient(inputs));
  const compression = resolveCompression(inputs.compression, client.major);
  const result = await core.group('Backup', () => runBackup({ inputs, s3, server, client, compression }));
  facts.key = result.keys.object;
  facts.sizeBytes = result.manifest.object.sizeBytes;
  setBackupOutputs(result);
  await writeBackupSummary(result, client);
  // Only after a backup that succeeded: a failing job never eats into the backups that remain.
  if (inputs.retention) {
    try {
      facts.prunedCount = await applyRetention(
        s3,
        inputs.storage,
        inputs.database.database,
        inputs.retention,
      );
    } catch (error) {
      throw new Error(
        `The backup ${result.keys.object} is stored and complete, but retention failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}

/** The server's version, then the pg_dump of exactly its major. */
async function serverAndClient(inputs: BackupInputs): Promise<{ server: ServerVersion; client: PgClient }> {
  const server = await core.group('PostgreSQL server', async () => {
    core.info(`Connecting to ${redactedUrl(inputs.database)}`);
    const version = await readServerVersion(inputs.database);
    core.info(`Server version ${version.version} (server_version_num ${version.versionNum})`);
    return version;
  });
  core.setOutput(Output.ServerVersion, server.version);
  return { server, client: await provideClientForMajor(server.major, inputs) };
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
    // The placeholder, or a completed object, without its manifest: never left behind.
    await deleteObjectBestEffort(s3, inputs.storage.bucket, keys.object);
    await deleteObjectBestEffort(s3, inputs.storage.bucket, keys.globals);
    throw error;
  }
}
