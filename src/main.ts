import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { Output } from './constants.js';
import { errorMessage } from './errors.js';
import { type Inputs, loadInputs } from './inputs.js';
import { actionsCacheStore } from './installer/actions-cache-store.js';
import { type InstallerOptions, provideClient } from './installer/install-client.js';
import { detectPlatform } from './installer/platform.js';
import { defaultRunnerSearch } from './installer/runner-clients.js';
import { redactedUrl } from './postgres/connection-url.js';
import { readServerVersion } from './postgres/server-version.js';

/** The action's one entry point, and the one place where an error becomes the step's failure. */
export async function run(): Promise<void> {
  const started = performance.now();
  try {
    const inputs = loadInputs();
    await prepareClient(inputs);
  } catch (error) {
    core.setFailed(errorMessage(error));
  } finally {
    core.setOutput(Output.DurationSeconds, ((performance.now() - started) / 1000).toFixed(1));
  }
}

/** Reads the server's version and puts the matching pg_dump, pg_restore and psql on PATH. */
async function prepareClient(inputs: Inputs): Promise<void> {
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
