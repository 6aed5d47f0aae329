import { join } from 'node:path';
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as core from '@actions/core';
import { createEncryptStream } from '../age/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../shared/constants.js';

import type { PgClient } from '../installer/pg-client.js';
import type { BackupSettings, EncryptionSettings } from './settings.js';
import { libpqInvocation } from '../postgres/libpq-env.js';
import { directConnectionHint } from '../postgres/provider-hints.js';
import type { ServerVersion } from '../postgres/server-version.js';
import { reserveBackupKeys } from '../storage/key-reservation.js';
import type { BackupKeys } from '../storage/object-layout.js';
import { chooseQueueSize, choosePartSize, compresses } from '../storage/part-size.js';
import { explainS3Error } from '../storage/s3-errors.js';
import { stallTimeoutMs } from '../storage/stall-timeout.js';
import { deleteObjectBestEffort, storedSize, uploadStream } from '../storage/streaming-upload.js';
import { describeExit, startChild } from '../shared/child-process.js';
import { DumpContentsReader } from './dump-contents.js';
import type { Encryption, Manifest } from '../shared/manifest.js';
import { formatBytes } from '../shared/format.js';
import { startProgressLog } from './progress.js';
import { type RowCounts, type SnapshotSession, withSnapshotSession } from './snapshot-session.js';
import { CountingStream, gateOnSuccess, MeasuringStream } from '../shared/stream-stages.js';

/**
 * A custom-format archive of an empty database is 841 bytes from pg_dump 17 (1,060 from 15): header, version
 * strings and table of contents. Anything smaller cannot be a dump, whatever pg_dump's exit code says.
 */
export const MIN_DUMP_BYTES = 512;

export interface BackupResult {
  readonly keys: BackupKeys;
  readonly manifest: Manifest;
}

export interface BackupContext {
  readonly inputs: BackupSettings;
  readonly s3: S3Client;
  readonly server: ServerVersion;
  readonly client: PgClient;
  /** The resolved `--compress` value for this client. */
  readonly compression: string;
}

/**
 * Dumps the database in one consistent snapshot, streams it through encryption and SHA-256 into a multipart
 * upload, confirms the stored size, and only then writes the manifest that makes it a backup. On any failure
 * the upload is aborted, a completed object is deleted, and no manifest is written.
 */
export async function runBackup(context: BackupContext): Promise<BackupResult> {
  const started = performance.now();
  const { inputs } = context;
  const { keys, createdAt } = await reserveBackupKeys(
    context.s3,
    inputs.storage,
    inputs.database.database,
    inputs.encryption.type !== 'none',
  );
  try {
    return await backupInto(context, keys, createdAt, started);
  } catch (error) {
    // The placeholder, or a completed object, without its manifest: never left behind.
    await deleteObjectBestEffort(context.s3, inputs.storage.bucket, keys.object);
    throw error;
  }
}

async function backupInto(
  context: BackupContext,
  keys: BackupKeys,
  createdAt: Date,
  started: number,
): Promise<BackupResult> {
  const { inputs } = context;
  return withSnapshotSession(inputs.database, async (session) => {
    if (session.unsharedReason) {
      core.warning(
        `Row counts are taken in a snapshot of their own, not pg_dump's: ${session.unsharedReason}.`,
      );
    }
    let snapshotId = session.snapshotId;
    let unsharedReason = session.unsharedReason;
    let attempt: DumpOutcome;
    try {
      attempt = await dumpAndUpload(context, session, keys, snapshotId);
    } catch (error) {
      if (!snapshotId || !(error instanceof SnapshotImportError)) throw error;
      // A transaction pooler hands pg_dump another server session, where the snapshot does not exist.
      unsharedReason = `pg_dump could not import the exported snapshot (${error.message}); a transaction pooler between the runner and the server does this`;
      core.warning(
        `Retrying without a shared snapshot: ${unsharedReason}. For row counts that match the dump exactly, ` +
          `${directConnectionHint(inputs.database.hosts[0]!, inputs.database.user)}.`,
      );
      snapshotId = undefined;
      attempt = await dumpAndUpload(context, session, keys, undefined);
    }
    await session.close();

    const manifest: Manifest = {
      format: 1,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      createdAt: createdAt.toISOString(),
      database: inputs.database.database,
      server: { version: context.server.version, versionNum: context.server.versionNum },
      client: { pgDump: context.client.version },
      dump: {
        format: 'custom',
        compression: context.compression,
        args: [...inputs.pgDumpArgs],
        snapshot: snapshotId ? { shared: true } : { shared: false, reason: unsharedReason ?? 'unknown' },
        dumpBytes: attempt.dumpBytes,
      },
      encryption: manifestEncryption(inputs.encryption),
      object: { key: keys.object, sizeBytes: attempt.sizeBytes, sha256: attempt.sha256 },
      durationSeconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      rowCounts: {
        mode: inputs.rowCounts,
        tables: attempt.counts.tables,
        ...(attempt.counts.largeObjects === undefined ? {} : { largeObjects: attempt.counts.largeObjects }),
      },
    };
    await writeManifest(context, keys, manifest);
    return { keys, manifest };
  });
}

interface DumpOutcome {
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly dumpBytes: number;
  readonly counts: RowCounts;
}

/** pg_dump failed to import the exported snapshot: worth one retry without it. */
class SnapshotImportError extends Error {}

async function dumpAndUpload(
  context: BackupContext,
  session: SnapshotSession,
  keys: BackupKeys,
  snapshotId: string | undefined,
): Promise<DumpOutcome> {
  const { inputs, s3 } = context;
  const { bucket } = inputs.storage;
  const { dump, verdict } = startDump(context, snapshotId);
  const reader = new DumpContentsReader(context.client.binDir);
  const plain = new CountingStream();
  const stored = new MeasuringStream();
  const parts = planParts(context, session, keys);
  const progress = startProgressLog(() => ({ dumped: plain.bytes, stored: stored.bytes }));

  let firstError: unknown;
  /** A failure anywhere stops pg_dump and its reader; the first one is the cause reported. */
  const fail = (error: unknown) => {
    firstError ??= error;
    dump.stop();
    reader.stop();
  };
  const noted = <T>(stage: Promise<T>, explain = (error: unknown) => error): Promise<T> =>
    stage.catch((error: unknown) => {
      fail(explain(error));
      throw error;
    });
  const flowing = noted(
    pipeline(
      dump.process.stdout,
      gateOnSuccess(verdict),
      reader.tap(),
      plain,
      encryptionStage(inputs.encryption),
      stored,
    ),
  );
  const uploading = noted(
    uploadStream({
      client: s3,
      bucket,
      key: keys.object,
      body: stored,
      ...parts,
      contentType: 'application/octet-stream',
      stallTimeoutMs: stallTimeoutMs(),
      producedBytes: () => stored.bytes,
    }),
    (error) => new Error(explainS3Error(error, inputs.storage, `upload ${keys.object}`)),
  );
  const counting = noted(
    reader.contents.then(async (contents) => ({
      contents,
      counts: await session.countRows(contents, inputs.rowCounts),
    })),
  );

  try {
    const [, , { contents, counts }] = await Promise.all([flowing, uploading, counting]);
    core.info(
      `The dump holds ${contents.tableOids.length} tables' data${contents.hasLargeObjects ? ' and large objects' : ''}`,
    );
    await verdict;
    await checkStored(context, keys, plain.bytes, stored.bytes);
    core.info(
      `Stored ${formatBytes(stored.bytes)} (dump ${formatBytes(plain.bytes)}), SHA-256 ${stored.sha256()}`,
    );
    return { sizeBytes: stored.bytes, sha256: stored.sha256(), dumpBytes: plain.bytes, counts };
  } catch (error) {
    fail(error);
    // uploadStream has aborted its multipart upload (and swept the key) by the time `uploading` settles.
    await Promise.allSettled([flowing, uploading, counting, dump.exit]);
    // The first failure is the cause: pg_dump's own error reaches the pipeline first (through the gate), and a
    // store that fails first is reported as such, not as the pg_dump this code then had to stop.
    throw firstError;
  } finally {
    progress.stop();
  }
}

/** Starts pg_dump into the snapshot; `verdict` settles with its exit, rejecting with its own error. */
function startDump(
  context: BackupContext,
  snapshotId: string | undefined,
): { dump: ReturnType<typeof startChild>; verdict: Promise<void> } {
  const { inputs } = context;
  const invocation = libpqInvocation(inputs.database);
  const args = [
    '--format=custom',
    `--compress=${context.compression}`,
    ...(snapshotId ? [`--snapshot=${snapshotId}`] : []),
    '--no-password',
    ...invocation.args,
    ...inputs.pgDumpArgs,
  ];
  core.info(`pg_dump ${args.join(' ')}`);
  const dump = startChild(join(context.client.binDir, 'pg_dump'), args, invocation.env);
  const verdict = dump.exit.then((exit) => {
    if (exit.code === 0) return;
    const message = describeExit('pg_dump', exit);
    if (
      snapshotId &&
      /invalid snapshot identifier|could not import|SET TRANSACTION SNAPSHOT/i.test(exit.stderr)
    ) {
      throw new SnapshotImportError(message);
    }
    throw new Error(message);
  });
  verdict.catch(() => undefined);
  return { dump, verdict };
}

/** The upload's part size and parallelism, fixed before the first byte (see part-size.ts), and said in the log. */
function planParts(
  context: BackupContext,
  session: SnapshotSession,
  keys: BackupKeys,
): { partSize: number; maxParts: number; queueSize: number } {
  const { bucket, maxParts } = context.inputs.storage;
  const partSize = choosePartSize(session.databaseBytes, compresses(context.compression), maxParts);
  const queueSize = chooseQueueSize(partSize);
  core.info(
    `Database size ${formatBytes(session.databaseBytes)}; uploading to s3://${bucket}/${keys.object} in parts of ` +
      `${formatBytes(partSize)}, ${queueSize} at a time`,
  );
  return { partSize, maxParts, queueSize };
}

/** A dump too small to be one, or an object whose stored size is not what was sent, is not a backup. */
async function checkStored(
  context: BackupContext,
  keys: BackupKeys,
  dumped: number,
  sent: number,
): Promise<void> {
  if (dumped < MIN_DUMP_BYTES) {
    throw new Error(
      `pg_dump produced ${dumped} bytes, less than a dump of an empty database: it is not a usable backup.`,
    );
  }
  const size = await storedSize(context.s3, context.inputs.storage.bucket, keys.object);
  if (size !== sent) {
    throw new Error(`the bucket reports ${size ?? 'no'} bytes for ${keys.object}, but ${sent} were sent.`);
  }
}

function encryptionStage(encryption: EncryptionSettings): Transform {
  switch (encryption.type) {
    case 'age':
      return createEncryptStream({ recipients: encryption.recipients });
    case 'passphrase':
      return createEncryptStream({ passphrase: encryption.passphrase });
    case 'none':
      return new PassThrough();
  }
}

function manifestEncryption(encryption: EncryptionSettings): Encryption {
  switch (encryption.type) {
    case 'age':
      return { type: 'age', recipients: [...encryption.recipientKeys] };
    case 'passphrase':
      return { type: 'passphrase' };
    case 'none':
      return { type: 'none' };
  }
}

async function writeManifest(context: BackupContext, keys: BackupKeys, manifest: Manifest): Promise<void> {
  const { s3, inputs } = context;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: inputs.storage.bucket,
        Key: keys.manifest,
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  } catch (error) {
    // Without its manifest the object is not a backup: runBackup removes it.
    throw new Error(
      `the manifest could not be written, so the backup was removed: ${explainS3Error(error, inputs.storage, `write ${keys.manifest}`)}`,
      { cause: error },
    );
  }
}
