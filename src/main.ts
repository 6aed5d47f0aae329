import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { resolveCompression } from './backup/compression.js';
import { setBackupOutputs, writeBackupSummary } from './backup/report.js';
import { runBackup } from './backup/run-backup.js';
import { Output } from './constants.js';
import { errorMessage } from './errors.js';
import { type Inputs, loadInputs } from './inputs.js';
import { actionsCacheStore } from './installer/actions-cache-store.js';
import { type InstallerOptions, provideClient } from './installer/install-client.js';
import type { PgClient } from './installer/pg-client.js';
import { detectPlatform } from './installer/platform.js';
import { defaultRunnerSearch } from './installer/runner-clients.js';
import { redactedUrl } from './postgres/connection-url.js';
import { readServerVersion, type ServerVersion } from './postgres/server-version.js';
import { probeBucket } from './storage/preflight.js';
import { createS3Client } from './storage/s3-client.js';
import { describeStore } from './storage/s3-errors.js';

/** The action's one entry point, and the one place where an error becomes the step's failure. */
export async function run(): Promise<void> {
  const started = performance.now();
  try {
    const inputs = loadInputs();
    await backup(inputs);
  } catch (error) {
    core.setFailed(errorMessage(error));
  } finally {
    core.setOutput(Output.DurationSeconds, ((performance.now() - started) / 1000).toFixed(1));
  }
}

async function backup(inputs: Inputs): Promise<void> {
  const s3 = createS3Client(inputs.storage);
  try {
    await core.group('Bucket', async () => {
      core.info(
        `Checking s3://${inputs.storage.bucket}/${inputs.storage.prefix} at ${describeStore(inputs.storage)}`,
      );
      await probeBucket(s3, inputs.storage);
      core.info('Write, read and delete of a probe object: ok');
    });
    const { server, client } = await prepareClient(inputs);
    const compression = resolveCompression(inputs.compression, client.major);
    const result = await core.group('Backup', () => runBackup({ inputs, s3, server, client, compression }));
    setBackupOutputs(result);
    await writeBackupSummary(result);
  } finally {
    s3.destroy();
  }
}

/** Reads the server's version and puts the matching pg_dump, pg_restore and psql on PATH. */
async function prepareClient(inputs: Inputs): Promise<{ server: ServerVersion; client: PgClient }> {
  const server = await core.group('PostgreSQL server', async () => {
    core.info(`Connecting to ${redactedUrl(inputs.database)}`);
    const version = await readServerVersion(inputs.database);
    core.info(`Server version ${version.version} (server_version_num ${version.versionNum})`);
    return version;
  });
  core.setOutput(Output.ServerVersion, server.version);

  const client = await core.group(`PostgreSQL ${server.major} client`, () =>
    provideClient(server.major, inputs.pgVersion, installerOptions(inputs)),
  );
  core.addPath(client.binDir);
  core.setOutput(Output.PgDumpVersion, client.version);
  return { server, client };
}

export function installerOptions(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): InstallerOptions {
  return {
    mirror: inputs.pgAptMirror,
    runnerSearch: defaultRunnerSearch(env),
    cacheStore: actionsCacheStore,
    workDir: env.RUNNER_TEMP || tmpdir(),
    platform: () => detectPlatform(),
    arch: process.arch,
  };
}
