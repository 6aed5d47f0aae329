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
import { fetchGlobals } from '../restore/fetch-globals.js';
import { listArchive } from '../restore/pg-restore.js';
import { type OwnershipReport, restoreArchive } from '../restore/restore-archive.js';
import { backupMajor, readManifest } from '../restore/read-manifest.js';
import { writeRestoreSummary } from '../restore/report.js';
import { createDrillDatabase, inspectTarget, onTarget } from '../restore/target-database.js';
import type { Globals } from '../shared/globals.js';
import { resolveManifestKey } from '../storage/backup-catalog.js';
import { BucketCheck } from './bucket-check.js';
import { chosenDatabases } from './database-choice.js';
import { drillSeveral } from './drill-several.js';
import { provideClientForMajor } from './client.js';
import { DrillVerdictError, judgeDrill, reportFailedDrill } from './drill-verdict.js';
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
    const several = inputs.databases === 'all' || inputs.databases.length > 1;
    const databases = several
      ? await chosenDatabases(s3, inputs.storage, inputs.databases)
      : inputs.databases;
    if (databases.length > 1)
      await drillSeveral(databases, (name, draft) => restoreOrDrill(inputs, s3, draft, name), facts);
    else await restoreOrDrill(inputs, s3, facts, databases[0]);
  } catch (error) {
    if (drill) core.setOutput(Output.Result, 'failed');
    throw error;
  }
}

async function restoreOrDrill(
  inputs: RestoreInputs,
  s3: S3Client,
  facts: RunFactsDraft,
  databaseName: string | undefined,
): Promise<void> {
  const drill = inputs.mode === 'drill';
  const manifest = await findBackup(inputs, s3, databaseName);
  const backupAgeSeconds = Math.max(0, (Date.now() - Date.parse(manifest.createdAt)) / 1000);
  facts.database = manifest.database;
  facts.key = manifest.object.key;
  if (drill) facts.backupAgeSeconds = backupAgeSeconds;
  if (drill) core.setOutput(Output.BackupAgeSeconds, backupAgeSeconds.toFixed(0));
  const server = await targetServer(inputs, manifest);
  const client = await provideClientForMajor(backupMajor(manifest), inputs, {
    minimumVersion: manifest.client.pgDump,
  });

  const temp = runnerTemp();
  await mkdir(temp, { recursive: true });
  const work = await mkdtemp(join(temp, 'postgres-restore-'));
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    const restored = await verifyAndRestore(inputs, s3, manifest, client, server, join(work, 'backup.dump'));
    const restoreSeconds = elapsed();
    core.setOutput(Output.RestoreSeconds, restoreSeconds.toFixed(1));
    facts.restoreSeconds = restoreSeconds;
    core.info(`Restored in ${formatDuration(restoreSeconds)}`);
    if (drill) {
      const drilled = { manifest, client, target: server, ...restored, backupAgeSeconds, restoreSeconds };
      await judgeDrill(inputs, drilled, facts);
    } else {
      await writeRestoreSummary(manifest, restored.database, restoreSeconds, client, restored.ownership);
    }
  } catch (error) {
    if (drill && !(error instanceof DrillVerdictError)) {
      // A restore that completed keeps its own time: what failed came after it.
      const restoreSeconds = facts.restoreSeconds ?? elapsed();
      const known = { manifest, client, target: server, backupAgeSeconds, restoreSeconds };
      await reportFailedDrill(known, error, facts);
    }
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The manifest of the backup to restore (`latest`, or the one named), its keys set as outputs. */
async function findBackup(
  inputs: RestoreInputs,
  s3: S3Client,
  databaseName: string | undefined,
): Promise<Manifest> {
  return core.group('Backup', async () => {
    const manifestKey = await resolveManifestKey(s3, inputs.storage, inputs.backup, databaseName);
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
    core.info(`Server version ${version.fullVersion}`);
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

/** Proves the backup intact before the target sees a statement, then restores it. */
async function verifyAndRestore(
  inputs: RestoreInputs,
  s3: S3Client,
  manifest: Manifest,
  client: PgClient,
  server: ServerVersion,
  dumpPath: string,
): Promise<{ database: string; ownership: OwnershipReport | undefined; globals: Globals | undefined }> {
  const globals = await core.group('Integrity', async () => {
    await fetchVerifiedDump(s3, inputs.storage, manifest, inputs.decryption, dumpPath);
    core.info(
      `SHA-256 ${manifest.object.sha256} matches the manifest; ${manifest.encryption.type} decryption authenticated`,
    );
    await listArchive(client.binDir, dumpPath);
    core.info('pg_restore reads the archive');
    return backupGlobals(inputs, s3, manifest);
  });
  const withOwnership = inputs.ownership === 'auto' && globals !== undefined;
  return core.group('Restore', async () => {
    const database = await chooseDatabase(inputs);
    core.info(
      `Restoring into database "${database}" with pg_restore ${client.version}, ` +
        (withOwnership ? 'with owners and privileges' : 'without owners and privileges'),
    );
    const ownership = await restoreArchive({
      binDir: client.binDir,
      dumpPath,
      target: inputs.target,
      database,
      targetMajor: server.major,
      globals: withOwnership ? globals : undefined,
    });
    return { database, ownership, globals };
  });
}

/**
 * The backup's globals: what `ownership: auto` restores with, and the key a drill's schema proof needs.
 * Undefined for a restore with `ownership: none`, or a backup made before they were kept.
 */
async function backupGlobals(
  inputs: RestoreInputs,
  s3: S3Client,
  manifest: Manifest,
): Promise<Globals | undefined> {
  if (inputs.mode === 'restore' && inputs.ownership === 'none') return undefined;
  const globals = await fetchGlobals(s3, inputs.storage, manifest, inputs.decryption);
  if (globals) {
    core.info(`The backup's roles and database settings (${manifest.globals!.key}) match the manifest`);
    return globals;
  }
  if (inputs.ownership === 'auto') {
    core.info(
      'This backup was made before roles and database settings were kept beside it, so it is restored without ' +
        'owners and privileges (ownership: none).',
    );
  }
  return undefined;
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
