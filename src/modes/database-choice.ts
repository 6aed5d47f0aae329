import type { S3Client } from '@aws-sdk/client-s3';
import type { DatabaseNames } from '../inputs.js';
import { listDatabases, onlyDatabase } from '../storage/backup-catalog.js';
import type { S3Settings } from '../storage/s3-client.js';

/**
 * The databases whose backups a drill or prune works on: those named; `all`, every database with a folder under
 * the prefix; none named, the one the prefix holds (or an error that lists them).
 */
export async function chosenDatabases(
  s3: S3Client,
  storage: S3Settings,
  names: DatabaseNames,
): Promise<string[]> {
  if (names === 'all') {
    const found = await listDatabases(s3, storage);
    if (!found.length) {
      throw new Error(`No backups under s3://${storage.bucket}/${storage.prefix}: check bucket and prefix.`);
    }
    return found;
  }
  if (names.length) return [...names];
  return [await onlyDatabase(s3, storage)];
}
