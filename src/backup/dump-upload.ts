import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as core from '@actions/core';
import { createEncryptStream } from '../age/index.js';
import { directConnectionHint } from '../postgres/provider-hints.js';
import { formatBytes } from '../shared/format.js';
import { CountingStream, gateOnSuccess, MeasuringStream } from '../shared/stream-stages.js';
import type { BackupKeys } from '../storage/object-layout.js';
import { chooseQueueSize, choosePartSize, compresses } from '../storage/part-size.js';
import { lockFor } from '../storage/object-writes.js';
import { explainS3Error } from '../storage/s3-errors.js';
import { stallTimeoutMs } from '../storage/stall-timeout.js';
import { ensureLocked, inspectStored } from '../storage/stored-object.js';
import { uploadStream } from '../storage/streaming-upload.js';
import type { BackupContext, DumpOutcome } from './backup-context.js';
import { DumpContentsReader } from './dump-contents.js';
import { SnapshotImportError, startDump } from './pg-dump.js';
import { startProgressLog } from './progress.js';
import type { RowCounts, SnapshotSession } from './snapshot-session.js';
import type { EncryptionSettings } from './settings.js';

/**
 * A custom-format archive of an empty database is 841 bytes from pg_dump 17 (1,060 from 15): header, version
 * strings and table of contents. Anything smaller cannot be a dump, whatever pg_dump's exit code says.
 */
export const MIN_DUMP_BYTES = 512;

/**
 * Dumps the database in the session's snapshot and streams it through encryption and SHA-256 into a multipart
 * upload of `keys.object`; when pg_dump cannot import the snapshot (a transaction pooler), once more without it.
 */
export async function dumpInSession(
  context: BackupContext,
  session: SnapshotSession,
  keys: BackupKeys,
): Promise<DumpOutcome> {
  const { database } = context.inputs;
  if (session.unsharedReason) {
    core.warning(
      `Row counts are taken in a snapshot of their own, not pg_dump's: ${session.unsharedReason}.`,
    );
  }
  if (!session.snapshotId) {
    const reason = session.unsharedReason ?? 'unknown';
    return {
      ...(await dumpAndUpload(context, session, keys, undefined)),
      snapshot: { shared: false, reason },
    };
  }
  try {
    return {
      ...(await dumpAndUpload(context, session, keys, session.snapshotId)),
      snapshot: { shared: true },
    };
  } catch (error) {
    if (!(error instanceof SnapshotImportError)) throw error;
    // A transaction pooler hands pg_dump another server session, where the snapshot does not exist.
    const reason = `pg_dump could not import the exported snapshot (${error.message}); a transaction pooler between the runner and the server does this`;
    core.warning(
      `Retrying without a shared snapshot: ${reason}. For row counts that match the dump exactly, ` +
        `${directConnectionHint(database.hosts[0]!, database.user)}.`,
    );
    return {
      ...(await dumpAndUpload(context, session, keys, undefined)),
      snapshot: { shared: false, reason },
    };
  }
}

/**
 * The first failure among stages that run together, which stops the others (pg_dump and its reader): it is the
 * cause to report, not the errors of the stages it then stopped.
 */
class FirstFailure {
  #cause: unknown;
  #failed = false;

  constructor(private readonly stopOthers: () => void) {}

  get cause(): unknown {
    return this.#cause;
  }

  note(error: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#cause = error;
    }
    this.stopOthers();
  }

  /** `stage`, with its failure (as `explain` words it) noted. */
  watch<T>(stage: Promise<T>, explain = (error: unknown) => error): Promise<T> {
    return stage.catch((error: unknown) => {
      this.note(explain(error));
      throw error;
    });
  }
}

async function dumpAndUpload(
  context: BackupContext,
  session: SnapshotSession,
  keys: BackupKeys,
  snapshotId: string | undefined,
): Promise<Omit<DumpOutcome, 'snapshot'>> {
  const { inputs } = context;
  const { dump, verdict } = startDump(context, snapshotId);
  const reader = new DumpContentsReader(context.client.binDir);
  const plain = new CountingStream();
  const stored = new MeasuringStream();
  const parts = planParts(context, session, keys);
  const progress = startProgressLog(() => ({ dumped: plain.bytes, stored: stored.bytes }));
  const failure = new FirstFailure(() => {
    dump.stop();
    reader.stop();
  });
  const flowing = failure.watch(
    pipeline(
      dump.process.stdout,
      gateOnSuccess(verdict),
      reader.tap(),
      plain,
      encryptionStage(inputs.encryption),
      stored,
    ),
  );
  const uploading = failure.watch(
    upload(context, keys, stored, parts),
    (error) => new Error(explainS3Error(error, inputs.storage, `upload ${keys.object}`)),
  );
  const counting = failure.watch(
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
    return storedOutcome(plain, stored, counts, reader);
  } catch (error) {
    failure.note(error);
    // uploadStream has aborted its multipart upload (and swept the key) by the time `uploading` settles.
    await Promise.allSettled([flowing, uploading, counting, dump.exit]);
    // pg_dump's own error reaches the pipeline first (through the gate), and a store that fails first is
    // reported as such, not as the pg_dump this code then had to stop.
    throw failure.cause;
  } finally {
    progress.stop();
  }
}

function storedOutcome(
  plain: CountingStream,
  stored: MeasuringStream,
  counts: RowCounts,
  reader: DumpContentsReader,
): Omit<DumpOutcome, 'snapshot'> {
  core.info(
    `Stored ${formatBytes(stored.bytes)} (dump ${formatBytes(plain.bytes)}), SHA-256 ${stored.sha256()}`,
  );
  return {
    sizeBytes: stored.bytes,
    sha256: stored.sha256(),
    dumpBytes: plain.bytes,
    counts,
    sequences: reader.sequences(),
  };
}

/** The multipart upload of what `body` measures as it passes, with the stall watchdog. */
function upload(
  context: BackupContext,
  keys: BackupKeys,
  body: MeasuringStream,
  parts: PartPlan,
): Promise<void> {
  return uploadStream({
    client: context.s3,
    bucket: context.inputs.storage.bucket,
    key: keys.object,
    body,
    ...parts,
    contentType: 'application/octet-stream',
    storageClass: context.inputs.storage.writes?.storageClass,
    lock: lockFor(context.inputs.storage.writes, keys.createdAt),
    stallTimeoutMs: stallTimeoutMs(),
    producedBytes: () => body.bytes,
  });
}

interface PartPlan {
  readonly partSize: number;
  readonly maxParts: number;
  readonly queueSize: number;
}

/** The upload's part size and parallelism, fixed before the first byte (see part-size.ts), and said in the log. */
function planParts(context: BackupContext, session: SnapshotSession, keys: BackupKeys): PartPlan {
  const { bucket, maxParts } = context.inputs.storage;
  const partSize = choosePartSize(session.databaseBytes, compresses(context.compression), maxParts);
  const queueSize = chooseQueueSize(partSize);
  core.info(
    `Database size ${formatBytes(session.databaseBytes)}; uploading to s3://${bucket}/${keys.object} in parts of ` +
      `${formatBytes(partSize)}, ${queueSize} at a time`,
  );
  return { partSize, maxParts, queueSize };
}

/**
 * A dump too small to be one, or an object whose stored size is not what was sent, is not a backup; one asked to
 * be locked is locked before its manifest can make it a backup.
 */
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
  const { storage } = context.inputs;
  const stored = await inspectStored(context.s3, storage.bucket, keys.object);
  if (stored.sizeBytes !== sent) {
    throw new Error(
      `the bucket reports ${stored.sizeBytes ?? 'no'} bytes for ${keys.object}, but ${sent} were sent.`,
    );
  }
  const wanted = storage.writes?.storageClass;
  if (wanted && (stored.storageClass ?? 'STANDARD') !== wanted) {
    core.warning(
      `storage-class is ${wanted}, but the store reports ${keys.object} in ${stored.storageClass ?? 'its default class'}: ` +
        'it does not keep storage classes as S3 does.',
    );
  }
  const lock = lockFor(storage.writes, keys.createdAt);
  if (lock && (await ensureLocked(context.s3, storage, keys.object, stored, lock))) {
    core.info(`The store did not lock ${keys.object} on upload: its retention was set afterwards`);
  }
}

/** The encryption the backup was asked for, as a stream stage (the dump and its globals go through it). */
export function encryptionStage(encryption: EncryptionSettings): Transform {
  switch (encryption.type) {
    case 'age':
      return createEncryptStream({ recipients: encryption.recipients });
    case 'passphrase':
      return createEncryptStream({ passphrase: encryption.passphrase });
    case 'none':
      return new PassThrough();
  }
}
