import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultipartWriter } from './multipart-writer.js';
import { listKeyVersions } from './object-versions.js';
import type { ObjectLock } from './object-writes.js';

export interface StreamingUploadOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly partSize: number;
  /** The store's limit on parts per upload. */
  readonly maxParts: number;
  readonly queueSize: number;
  readonly contentType: string;
  /** Undefined: the store's default. */
  readonly storageClass?: StorageClass;
  readonly lock?: ObjectLock;
  /**
   * Fails the upload when bytes wait to be sent but no part has completed for this long: a network that stalls
   * with no bytes would otherwise hang the job until its timeout.
   */
  readonly stallTimeoutMs: number;
  /** Bytes that have entered the body so far, to tell a stalled network from a slow producer. */
  readonly producedBytes: () => number;
}

export class UploadStalledError extends Error {
  constructor(seconds: number) {
    super(
      `the upload stalled: no part reached the bucket for ${seconds} s while data was waiting. ` +
        'The network to the S3 endpoint stopped moving bytes.',
    );
    this.name = 'UploadStalledError';
  }
}

/**
 * Streams `body` into a multipart upload with bounded memory (parts of `partSize`, `queueSize` in flight), and
 * makes sure a failed upload leaves nothing behind: the writer aborts its multipart upload, and any upload of this
 * key still pending afterwards is aborted too (an abort races with in-flight parts).
 */
export async function uploadStream(options: StreamingUploadOptions): Promise<void> {
  const { client, bucket, key } = options;
  let uploaded = 0;
  let lastProgress = Date.now();
  const writer = new MultipartWriter({
    client,
    bucket,
    key,
    contentType: options.contentType,
    storageClass: options.storageClass,
    lock: options.lock,
    partSize: options.partSize,
    maxParts: options.maxParts,
    queueSize: options.queueSize,
    onStored: (bytes) => {
      uploaded += bytes;
      lastProgress = Date.now();
    },
  });
  let stalled: UploadStalledError | undefined;
  const watchdog = setInterval(
    () => {
      const waiting = options.producedBytes() > uploaded;
      if (waiting && Date.now() - lastProgress > options.stallTimeoutMs) {
        stalled = new UploadStalledError(Math.round(options.stallTimeoutMs / 1000));
        writer.destroy(stalled);
      } else if (!waiting) {
        lastProgress = Date.now();
      }
    },
    Math.min(1000, options.stallTimeoutMs / 4),
  );
  try {
    await pipeline(options.body, writer);
  } catch (error) {
    options.body.destroy();
    await abortPendingUploads(client, bucket, key);
    throw stalled ?? error;
  } finally {
    clearInterval(watchdog);
  }
}

/** Delays between attempts to clean up after a failure: the store may be coming back from an outage. */
const CLEANUP_RETRY_MS = [1000, 2000, 4000, 8000];
/** Cleanup gives up after this long in all, so a store that never answers cannot hold the failed run. */
const CLEANUP_DEADLINE_MS = 10_000;

/**
 * Runs a cleanup request until it succeeds, retrying for up to 10 s when the store does not answer (it may be the
 * reason the run failed), every attempt bounded by what is left of CLEANUP_DEADLINE_MS. Never throws: it runs on a
 * failure path, and the original error, not this one, is what the user needs to see.
 */
async function retryCleanup(attempt: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const deadline = Date.now() + CLEANUP_DEADLINE_MS;
  for (let index = 0; ; index++) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    try {
      await attempt(AbortSignal.timeout(left));
      return;
    } catch {
      const delay = CLEANUP_RETRY_MS[index];
      if (delay === undefined) return;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))),
      );
    }
  }
}

/** Aborts every multipart upload pending under exactly `key` (best effort, bounded, never throws). */
export async function abortPendingUploads(client: S3Client, bucket: string, key: string): Promise<void> {
  await retryCleanup(async (abortSignal) => {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }), {
      abortSignal,
    });
    for (const pending of listed.Uploads ?? []) {
      if (pending.Key !== key || !pending.UploadId) continue;
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: pending.UploadId }),
        { abortSignal },
      );
    }
  });
}

/**
 * Deletes `key` (best effort, bounded, never throws). With `everyVersion` (a backup that locks its objects, in a
 * versioned bucket), each version by its id instead: a plain DELETE would only hide a locked version behind a
 * delete marker, where nothing ever removes it; left in place, it stays an object without a manifest, which
 * retention deletes once its lock has expired.
 */
export async function deleteObjectBestEffort(
  client: S3Client,
  bucket: string,
  key: string,
  options: { readonly everyVersion?: boolean } = {},
): Promise<void> {
  if (options.everyVersion) {
    await retryCleanup(async (abortSignal) => {
      for (const { versionId } of await listKeyVersions(client, bucket, key, abortSignal)) {
        await client
          .send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }), { abortSignal })
          .catch(() => undefined);
      }
    });
    return;
  }
  await retryCleanup(async (abortSignal) => {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
  });
}
