import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { explainS3Error } from './s3-errors.js';
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
 * credential fails in a second, before pg_dump starts, with a message that says which.
 */
export async function probeBucket(client: S3Client, settings: S3Settings): Promise<void> {
  const key = `${joinPrefix(settings.prefix)}.probe-${randomBytes(8).toString('hex')}`;
  const body = `postgres-backup-action probe ${new Date().toISOString()}`;
  const step = async <T>(doing: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw new StorageError(explainS3Error(error, settings, doing));
    }
  };
  await step('write objects', () =>
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
    await step('delete objects', () =>
      client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key })),
    );
  }
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
