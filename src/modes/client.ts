import * as core from '@actions/core';
import { Output } from '../shared/constants.js';
import type { Inputs } from '../inputs.js';
import { actionsCacheStore } from '../installer/actions-cache-store.js';
import { type InstallerOptions, provideClient } from '../installer/install-client.js';
import { CLIENT_SOURCE_OUTPUT, type PgClient } from '../installer/pg-client.js';
import { PGDG_KEY, PGDG_KEY_FINGERPRINT } from '../installer/pgdg-key.js';
import { detectPlatform } from '../installer/platform.js';
import { defaultRunnerSearch } from '../installer/runner-clients.js';
import { runnerTemp } from '../shared/runner-temp.js';

/**
 * Puts the client for `major` on PATH (pg_dump, pg_restore and psql of that major, or the nearest newer one) and
 * sets the `pg-dump-version` and `pg-dump-source` outputs (unless `outputs` is false). `minimumVersion` is the
 * point release the client should be no older than: the server's, or that of the pg_dump that made a backup.
 */
export async function provideClientForMajor(
  major: number,
  inputs: Inputs,
  { outputs = true, minimumVersion }: { outputs?: boolean; minimumVersion?: string } = {},
): Promise<PgClient> {
  const client = await core.group(`PostgreSQL ${major} client`, () =>
    provideClient(major, inputs.pgVersion, installerOptions(inputs), minimumVersion),
  );
  core.addPath(client.binDir);
  // A run of several databases may use several clients: its `backups` output names each one's instead.
  if (outputs) {
    core.setOutput(Output.PgDumpVersion, client.version);
    core.setOutput(Output.PgDumpSource, CLIENT_SOURCE_OUTPUT[client.source]);
  }
  return client;
}

export function installerOptions(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): InstallerOptions {
  return {
    mirrors: inputs.pgAptMirrors,
    trust: inputs.pgAptKey
      ? { armoredKeys: inputs.pgAptKey, name: 'pg-apt-key' }
      : { armoredKeys: PGDG_KEY, name: `the PostgreSQL apt repository key ${PGDG_KEY_FINGERPRINT}` },
    runnerSearch: defaultRunnerSearch(env),
    cacheStore: actionsCacheStore,
    workDir: runnerTemp(env),
    platform: () => detectPlatform(),
    arch: process.arch,
  };
}
