/**
 * Whether the bucket has S3 Object Lock on, from GetObjectLockConfiguration: a backup that asks for a lock needs it
 * (a lock header on a bucket without it is refused, or worse, ignored), and retention deletes differently in such
 * a bucket (it is versioned: a plain DELETE only hides a locked object behind a delete marker, and it stays billed).
 */
import { GetObjectLockConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { httpStatusOf } from './object-exists.js';
import type { S3Settings } from './s3-client.js';
import { s3ErrorCode } from './s3-errors.js';

export type BucketLockState =
  | { readonly enabled: true }
  /** `code` is why: ObjectLockConfigurationNotFoundError (none), or the error of a store that has no object lock. */
  | { readonly enabled: false; readonly code: string }
  /** The configuration could not be read (credentials without s3:GetBucketObjectLockConfiguration). */
  | { readonly enabled: 'unknown'; readonly code: string; readonly error: unknown };

/** Codes of a store that answers, but has no object lock to tell of (R2, stores that never implemented it). */
const NOT_SUPPORTED = new Set(['NotImplemented', 'MethodNotAllowed', 'InvalidRequest', 'InvalidArgument']);

export async function bucketLockState(s3: S3Client, settings: S3Settings): Promise<BucketLockState> {
  try {
    const answer = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: settings.bucket }));
    return answer.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
      ? { enabled: true }
      : { enabled: false, code: 'ObjectLockDisabled' };
  } catch (error) {
    const code = s3ErrorCode(error);
    if (code === 'ObjectLockConfigurationNotFoundError' || NOT_SUPPORTED.has(code)) {
      return { enabled: false, code };
    }
    if (httpStatusOf(error) === 501) return { enabled: false, code };
    return { enabled: 'unknown', code, error };
  }
}
