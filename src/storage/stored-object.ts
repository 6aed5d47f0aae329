/**
 * What the store says it holds under a key once an upload is done: its size, storage class and lock. A lock is
 * checked rather than trusted: Ceph 16 accepts the lock headers of a multipart upload and stores the object
 * unlocked, and a store that ignores them would leave a backup deletable that the run reported as immutable.
 */
import { HeadObjectCommand, PutObjectRetentionCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectLock } from './object-writes.js';
import type { S3Settings } from './s3-client.js';
import { explainS3Error } from './s3-errors.js';

export interface StoredObject {
  readonly sizeBytes: number | undefined;
  readonly versionId: string | undefined;
  /** Undefined for the store's default class (S3 names no class for STANDARD). */
  readonly storageClass: string | undefined;
  readonly lock: { readonly mode: string; readonly retainUntil: Date } | undefined;
}

export async function inspectStored(s3: S3Client, bucket: string, key: string): Promise<StoredObject> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    sizeBytes: head.ContentLength,
    versionId: head.VersionId,
    storageClass: head.StorageClass,
    lock:
      head.ObjectLockMode && head.ObjectLockRetainUntilDate
        ? { mode: head.ObjectLockMode, retainUntil: head.ObjectLockRetainUntilDate }
        : undefined,
  };
}

/** Stores round a date to the second; the lock holds when it lasts at least until then. */
const DATE_SLACK_MS = 1000;

function holds(stored: StoredObject, lock: ObjectLock): boolean {
  return (
    stored.lock?.mode === lock.mode &&
    stored.lock.retainUntil.getTime() >= lock.retainUntil.getTime() - DATE_SLACK_MS
  );
}

/**
 * Makes sure `key`'s current version carries `lock`: when the upload's headers did not lock it, its retention is
 * set with PutObjectRetention, and read back. Returns whether that was needed; throws, naming object-lock-days,
 * when the store will not lock it.
 */
export async function ensureLocked(
  s3: S3Client,
  settings: S3Settings,
  key: string,
  stored: StoredObject,
  lock: ObjectLock,
): Promise<boolean> {
  if (holds(stored, lock)) return false;
  try {
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: settings.bucket,
        Key: key,
        VersionId: stored.versionId,
        Retention: { Mode: lock.mode, RetainUntilDate: lock.retainUntil },
      }),
    );
  } catch (error) {
    throw new Error(
      `Input 'object-lock-days': the store did not lock ${key} as it was uploaded, and setting its retention ` +
        `failed: ${explainS3Error(error, settings, `set the retention of ${key}`)}. Grant s3:PutObjectRetention ` +
        'and s3:GetObjectRetention, or use a store that supports S3 Object Lock.',
      { cause: error },
    );
  }
  if (!holds(await inspectStored(s3, settings.bucket, key), lock)) {
    throw new Error(
      `Input 'object-lock-days': ${key} is not reported locked until ${lock.retainUntil.toISOString()} ` +
        `(${lock.mode}) even after its retention was set: the store does not keep S3 Object Lock retention, or ` +
        'the credentials lack s3:GetObjectRetention (without it S3 does not report a lock).',
    );
  }
  return true;
}
