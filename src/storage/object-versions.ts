/**
 * The versions of one key in a versioned bucket, which every bucket with Object Lock is. There a plain DELETE only
 * adds a delete marker: the object disappears from listings while its data stays, and is billed. Removing an object
 * for good means deleting each of its versions, and its delete markers, by version id.
 */
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { httpStatusOf } from './object-exists.js';

export interface KeyVersion {
  readonly versionId: string;
  readonly latest: boolean;
  readonly deleteMarker: boolean;
}

/** Every version and delete marker of exactly `key` (not of the keys it is a prefix of), through every page. */
export async function listKeyVersions(
  s3: S3Client,
  bucket: string,
  key: string,
  abortSignal?: AbortSignal,
): Promise<KeyVersion[]> {
  const found: KeyVersion[] = [];
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...markers }), {
      abortSignal,
    });
    const entries = [
      ...(page.Versions ?? []).map((entry) => ({ ...entry, deleteMarker: false })),
      ...(page.DeleteMarkers ?? []).map((entry) => ({ ...entry, deleteMarker: true })),
    ];
    for (const entry of entries) {
      if (entry.Key !== key || entry.VersionId === undefined) continue;
      found.push({
        versionId: entry.VersionId,
        latest: entry.IsLatest === true,
        deleteMarker: entry.deleteMarker,
      });
    }
    if (page.IsTruncated !== true) return found;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

/**
 * Deletes every version and delete marker of `key`, the current one last: when an older version is still locked,
 * the delete fails before the object a listing shows has changed. Throws the first failure.
 */
export async function deleteEveryVersion(s3: S3Client, bucket: string, key: string): Promise<void> {
  const versions = await listKeyVersions(s3, bucket, key);
  const ordered = [...versions.filter((v) => !v.latest), ...versions.filter((v) => v.latest)];
  for (const { versionId } of ordered) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  }
}

/** The current version's retain-until date, when it has one; undefined as well when the key does not exist. */
export async function retainUntilOf(s3: S3Client, bucket: string, key: string): Promise<Date | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ObjectLockRetainUntilDate;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The latest retain-until date among the current versions of `keys`; undefined when none is locked. */
export async function latestRetainUntil(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
): Promise<Date | undefined> {
  let latest: Date | undefined;
  for (const key of keys) {
    const until = await retainUntilOf(s3, bucket, key);
    if (until && (!latest || until > latest)) latest = until;
  }
  return latest;
}
