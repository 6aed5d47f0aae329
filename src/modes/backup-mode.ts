import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { resolveCompression } from '../backup/compression.js';
import { setBackupOutputs, writeBackupSummary } from '../backup/report.js';
import { runBackup } from '../backup/run-backup.js';
import { Output } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import type { BackupInputs } from '../inputs.js';
import { redactedUrl } from '../postgres/format-url.js';
import { readServerVersion, type ServerVersion } from '../postgres/server-version.js';
import type { PgClient } from '../installer/pg-client.js';
import { provideClientForMajor } from './client.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/** `mode: backup`: the matching pg_dump, one consistent streamed dump, the manifest last. */
export async function backupMode(
  inputs: BackupInputs,
  s3: S3Client,
  facts: RunFactsDraft,
  bucketChecked: () => Promise<void>,
): Promise<void> {
  facts.database = inputs.database.database;
  let server: ServerVersion;
  let client: PgClient;
  try {
    server = await core.group('PostgreSQL server', async () => {
      core.info(`Connecting to ${redactedUrl(inputs.database)}`);
      const version = await readServerVersion(inputs.database);
      core.info(`Server version ${version.version} (server_version_num ${version.versionNum})`);
      return version;
    });
    core.setOutput(Output.ServerVersion, server.version);
    client = await provideClientForMajor(server.major, inputs);
  } catch (error) {
    await bucketChecked(); // the bucket was checked first: its problem, if any, is the one to report
    throw error;
  }
  await bucketChecked();
  const compression = resolveCompression(inputs.compression, client.major);
  const result = await core.group('Backup', () => runBackup({ inputs, s3, server, client, compression }));
  facts.key = result.keys.object;
  facts.sizeBytes = result.manifest.object.sizeBytes;
  setBackupOutputs(result);
  await writeBackupSummary(result);
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
        {
          cause: error,
        },
      );
    }
  }
}
