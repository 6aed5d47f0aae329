import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupKeys, type BackupKeys } from './object-layout.js';
import { httpStatusOf, objectExists } from './object-exists.js';
import type { S3Settings } from './s3-client.js';
import { explainS3Error } from './s3-errors.js';

const MAX_ATTEMPTS = 10;

export interface Reservation {
  readonly keys: BackupKeys;
  readonly createdAt: Date;
}

/**
 * Claims this run's keys before any byte is dumped, so that a backup is never overwritten: an existing backup
 * of the same second is skipped, and a 0-byte placeholder is created at the object key with `If-None-Match: *`,
 * which a second run started in the same second cannot also create. The loser moves to the next second.
 * The placeholder has no manifest, so until the upload replaces it, it is an interrupted run, never `latest`.
 */
export async function reserveBackupKeys(
  s3: S3Client,
  settings: S3Settings,
  database: string,
  encrypted: boolean,
): Promise<Reservation> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const createdAt = new Date();
    const keys = backupKeys(settings.prefix, database, createdAt, encrypted);
    if (
      !(await objectExists(s3, settings, keys.manifest)) &&
      !(await objectExists(s3, settings, keys.object))
    ) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: keys.object,
            Body: new Uint8Array(0),
            ContentLength: 0,
            IfNoneMatch: '*',
          }),
        );
        return { keys, createdAt };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw new Error(explainS3Error(error, settings, `create ${keys.object}`), { cause: error });
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
  throw new Error(`no free backup key under ${settings.prefix}/${database}/ after ${MAX_ATTEMPTS} seconds.`);
}

function isConditionFailure(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 412 || status === 409;
}
