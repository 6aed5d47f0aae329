import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bucketLockState } from './bucket-lock.js';
import { httpStatusOf } from './object-exists.js';
import { describeStore, explainS3Error, s3ErrorCode } from './s3-errors.js';
import type { S3Settings } from './s3-client.js';
import { joinPrefix } from './object-layout.js';

/** Thrown when the bucket cannot be used; the message names the setting to fix. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/**
 * Writes, reads back and deletes a tiny probe object under the prefix, so a wrong bucket, endpoint, region or
 * credential fails in a second, before pg_dump starts, with a message that says which. With `storage-class`, a
 * multipart upload in that class is started and aborted (a store without the class refuses it here, and nothing
 * is stored, so no class's minimum duration is billed); with `object-lock-days`, the bucket must have Object Lock.
 * The probe itself is never locked. Returns what the log should say besides "ok".
 */
export async function probeBucket(client: S3Client, settings: S3Settings): Promise<string[]> {
  const key = `${joinPrefix(settings.prefix)}.probe-${randomBytes(8).toString('hex')}`;
  const body = `postgres-backup-action probe ${new Date().toISOString()}`;
  const step = probeStep(settings);
  const notes: string[] = [];
  if (settings.writes?.objectLock) notes.push(await requireObjectLock(client, settings));
  if (settings.writes?.storageClass) notes.push(await probeStorageClass(client, settings, key));
  const written = await step('write objects', () =>
    client.send(
      new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: body, ContentType: 'text/plain' }),
    ),
  );
  try {
    const read = await step('read objects', () =>
      client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key })),
    );
    const text = await read.Body?.transformToString();
    if (text !== body) {
      throw new StorageError(
        `The bucket '${settings.bucket}' returned different bytes than were written to ${key}: check the endpoint.`,
      );
    }
  } finally {
    notes.push(...(await deleteProbe(client, settings, key, written.VersionId)));
  }
  return notes;
}

/** Runs one request of the probe; its failure becomes a StorageError that says which setting to fix. */
function probeStep(settings: S3Settings) {
  return async <T>(doing: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw new StorageError(explainS3Error(error, settings, doing));
    }
  };
}

/**
 * In a versioned bucket (every bucket with Object Lock) a plain DELETE leaves the probe's version behind a delete
 * marker, so the version the PUT made is deleted by its id. When that is refused (a default retention rule locked
 * the probe, or the credentials lack s3:DeleteObjectVersion), a plain DELETE at least hides it, and the log says so.
 */
async function deleteProbe(
  client: S3Client,
  settings: S3Settings,
  key: string,
  versionId: string | undefined,
): Promise<string[]> {
  const remove = (VersionId?: string) =>
    probeStep(settings)('delete objects', () =>
      client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key, VersionId })),
    );
  if (versionId === undefined) {
    await remove();
    return [];
  }
  try {
    await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key, VersionId: versionId }));
    return [];
  } catch (error) {
    if (s3ErrorCode(error) !== 'AccessDenied')
      throw new StorageError(explainS3Error(error, settings, 'delete objects'));
  }
  await remove();
  return [
    `The probe's version ${versionId} of ${key} could not be deleted (AccessDenied: the bucket's default retention ` +
      'locks new objects, or the credentials lack s3:DeleteObjectVersion): a delete marker hides it, and the ' +
      'version stays until its retention ends (a lifecycle rule for noncurrent versions removes it then).',
  ];
}

/** With object-lock-days, the bucket must have Object Lock on: without it, S3 refuses every locked upload. */
async function requireObjectLock(client: S3Client, settings: S3Settings): Promise<string> {
  const lock = settings.writes!.objectLock!;
  const state = await bucketLockState(client, settings);
  if (state.enabled === 'unknown') {
    throw new StorageError(
      `${explainS3Error(state.error, settings, 'read the object lock configuration').replace(/\.$/, '')}; ` +
        'object-lock-days also needs s3:GetBucketObjectLockConfiguration.',
    );
  }
  if (!state.enabled) {
    const bucket = settings.bucket;
    throw new StorageError(
      `Input 'object-lock-days': the bucket '${bucket}' at ${describeStore(settings)} does not have S3 Object ` +
        `Lock enabled (${state.code}), so no backup in it can be locked; nothing was written. Create the bucket ` +
        `with it (aws s3api create-bucket --bucket ${bucket} --object-lock-enabled-for-bucket), or turn it on for ` +
        `this versioned bucket (aws s3api put-object-lock-configuration --bucket ${bucket} ` +
        '--object-lock-configuration \'{"ObjectLockEnabled":"Enabled"}\'). Cloudflare R2 has no S3 Object ' +
        'Lock: leave object-lock-days empty and add a bucket lock rule instead (docs/backup.md, Object lock).',
    );
  }
  return `Object Lock: enabled; each backup's objects are locked for ${lock.days} day(s), ${lock.mode}`;
}

/** Starts and aborts a multipart upload in the dump's storage class, which a store that lacks the class refuses. */
async function probeStorageClass(client: S3Client, settings: S3Settings, key: string): Promise<string> {
  const storageClass = settings.writes!.storageClass!;
  let uploadId: string | undefined;
  try {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: key, StorageClass: storageClass }),
    );
    uploadId = created.UploadId;
  } catch (error) {
    const code = s3ErrorCode(error);
    if (code !== 'InvalidStorageClass' && code !== 'InvalidArgument') {
      throw new StorageError(explainS3Error(error, settings, 'start multipart uploads'));
    }
    throw new StorageError(
      `Input 'storage-class': ${describeStore(settings)} refuses the storage class ${storageClass} (${code}, ` +
        `HTTP ${httpStatusOf(error) ?? '?'}) for bucket '${settings.bucket}'; nothing was written. Use a class ` +
        'this store offers (docs/providers.md), or leave storage-class empty for its default.',
    );
  }
  await probeStep(settings)('abort multipart uploads', () =>
    client.send(new AbortMultipartUploadCommand({ Bucket: settings.bucket, Key: key, UploadId: uploadId })),
  );
  return `Storage class ${storageClass}: accepted for the dump (the manifest and globals stay in the default class)`;
}

/**
 * The read-only check for restores and drills, whose credentials may rightly be read-only: one listing under the
 * prefix, which fails on a wrong bucket, endpoint, region or credential just as the write probe does.
 */
export async function probeBucketReadable(client: S3Client, settings: S3Settings): Promise<void> {
  try {
    await client.send(
      new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: joinPrefix(settings.prefix), MaxKeys: 1 }),
    );
  } catch (error) {
    throw new StorageError(explainS3Error(error, settings, 'list objects'));
  }
}
