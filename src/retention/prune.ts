/**
 * Applies a retention policy to one database's folder in the bucket. A backup is its manifest and the objects with
 * the same timestamp (the dump, and its globals from 0.3 on); its manifest goes first, so a half-deleted backup is an object without a manifest (which no
 * restore ever picks, and a later run removes) rather than a manifest whose object is gone.
 *
 * In a bucket with S3 Object Lock (always versioned), a backup whose objects are still locked is kept, and
 * reported as locked until its date; once the lock has expired, every version of its objects is deleted by id,
 * since a plain DELETE there would only hide them behind delete markers, still billed.
 */
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

import { type BucketLockState, bucketLockState } from '../storage/bucket-lock.js';
import { databaseFolder, MANIFEST_SUFFIX, parseBackupName } from '../storage/object-layout.js';
import { deleteEveryVersion, latestRetainUntil } from '../storage/object-versions.js';
import type { S3Settings } from '../storage/s3-client.js';
import { explainS3Error } from '../storage/s3-errors.js';
import { type BackupEntry, planRetention, type RetentionDecision, type RetentionPolicy } from './policy.js';

export interface PruneResult {
  /** Every backup in the folder, newest first. */
  readonly decisions: RetentionDecision[];
  /** The manifests and objects of the dropped backups, in the order they were deleted. */
  readonly deletedKeys: string[];
  /** Objects of interrupted runs (no manifest, over 24 h old) that were deleted. */
  readonly orphansDeleted: string[];
  /** How many backups were deleted (the dropped ones, less those still locked). */
  readonly deletedBackups: number;
  /** Dropped backups, and interrupted runs, kept because their Object Lock retention has not expired yet. */
  readonly locked: LockedBackup[];
  /** What the log should say about how the bucket was pruned, when it is not the usual. */
  readonly notes: string[];
}

export interface LockedBackup {
  readonly createdAt: Date;
  readonly retainUntil: Date;
  /** An interrupted run's objects, not a backup. */
  readonly orphan: boolean;
}

/** Objects without a manifest younger than this may be a backup still being written. */
const ORPHAN_MIN_AGE_MS = 24 * 60 * 60 * 1000;

/** The keys in the folder that share one timestamp: a manifest and/or its objects (the dump, its globals). */
interface TimestampGroup {
  readonly createdAt: Date;
  manifestKey?: string;
  readonly objectKeys: string[];
}

/**
 * Lists `<prefix>/<database>/` (every page), plans with the policy and deletes the dropped backups (oldest first,
 * each manifest before its object), then the objects of interrupted runs over 24 h old. Keys that do not follow
 * the layout are never touched. Stops at the first failed delete, with an error that says what was deleted.
 */
export async function pruneBackups(
  s3: S3Client,
  settings: S3Settings,
  database: string,
  policy: RetentionPolicy,
  now: Date = new Date(),
): Promise<PruneResult> {
  const folder = databaseFolder(settings.prefix, database);
  const groups = groupByTimestamp(folder, await listFolder(s3, settings, folder));
  const decisions = planRetention(backupEntries(groups), policy);
  const dropped = decisions.filter((decision) => !decision.keep).reverse();
  const droppedGroups = dropped.map(({ backup }) => groups.get(baseOf(backup.manifestKey))!);
  const orphanGroups = orphans(groups, now);
  const lock = await bucketLockState(s3, settings);
  const versioned = lock.enabled === true;
  const locks = versioned
    ? await stillLocked(s3, settings, [...droppedGroups, ...orphanGroups], now)
    : new Map<TimestampGroup, Date>();
  const free = (group: TimestampGroup) => !locks.has(group);
  const backupKeys = droppedGroups.filter(free).flatMap((group) => [group.manifestKey!, ...group.objectKeys]);
  const orphanKeys = orphanGroups.filter(free).flatMap((group) => group.objectKeys);
  await deleteInOrder(s3, settings, [...backupKeys, ...orphanKeys], versioned);
  return {
    decisions,
    deletedKeys: backupKeys,
    orphansDeleted: orphanKeys,
    deletedBackups: droppedGroups.filter(free).length,
    locked: [...locks].map(([group, retainUntil]) => ({
      createdAt: group.createdAt,
      retainUntil,
      orphan: group.manifestKey === undefined,
    })),
    notes: lockNotes(lock),
  };
}

/** The groups whose objects are still under retention at `now`, with the latest retain-until date among them. */
async function stillLocked(
  s3: S3Client,
  settings: S3Settings,
  candidates: readonly TimestampGroup[],
  now: Date,
): Promise<Map<TimestampGroup, Date>> {
  const locked = new Map<TimestampGroup, Date>();
  for (const group of candidates) {
    const keys = [...(group.manifestKey ? [group.manifestKey] : []), ...group.objectKeys];
    let until: Date | undefined;
    try {
      until = await latestRetainUntil(s3, settings.bucket, keys);
    } catch (error) {
      throw new Error(explainS3Error(error, settings, `read the retention of ${keys[0]!}`), { cause: error });
    }
    if (until && until.getTime() > now.getTime()) locked.set(group, until);
  }
  return locked;
}

function lockNotes(lock: BucketLockState): string[] {
  if (lock.enabled !== 'unknown') return [];
  return [
    `Whether the bucket has Object Lock could not be read (${lock.code}), so backups were deleted as in a bucket ` +
      'without it; in a versioned bucket that leaves their data behind delete markers. Grant ' +
      's3:GetBucketObjectLockConfiguration to prune such a bucket by version.',
  ];
}

/**
 * A table for the log and the job summary: one row per backup, newest first. A dropped backup still under Object
 * Lock reads "locked until" its date: it is deleted by a later run, once that has passed.
 */
export function retentionTable(
  decisions: readonly RetentionDecision[],
  locked: readonly LockedBackup[] = [],
): string {
  const until = new Map(locked.map((entry) => [entry.createdAt.getTime(), entry.retainUntil]));
  const rows = decisions.map(({ backup, keep, reasons }) => {
    const lockedUntil = keep ? undefined : until.get(backup.createdAt.getTime());
    const action = keep ? 'keep' : lockedUntil ? `locked until ${utc(lockedUntil)}` : 'delete';
    return `| ${utc(backup.createdAt)} | ${action} | ${reasons.join(', ')} |`;
  });
  return ['| Backup (UTC) | Action | Kept by |', '| --- | --- | --- |', ...rows].join('\n');
}

function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function listFolder(s3: S3Client, settings: S3Settings, folder: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await listPage(s3, settings, folder, token);
    for (const object of page.Contents ?? []) {
      if (object.Key?.startsWith(folder)) keys.push(object.Key);
    }
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

async function listPage(s3: S3Client, settings: S3Settings, folder: string, token: string | undefined) {
  try {
    return await s3.send(
      new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: folder, ContinuationToken: token }),
    );
  } catch (error) {
    throw new Error(explainS3Error(error, settings, 'list objects'), { cause: error });
  }
}

/** The folder's layout keys, by their path without suffix; other keys (other names, subfolders) are left out. */
function groupByTimestamp(folder: string, keys: readonly string[]): Map<string, TimestampGroup> {
  const groups = new Map<string, TimestampGroup>();
  for (const key of keys) {
    const parsed = parseBackupName(key.slice(folder.length));
    if (!parsed) continue;
    const base = key.slice(0, -parsed.suffix.length);
    const group = groups.get(base) ?? { createdAt: parsed.createdAt, objectKeys: [] };
    if (parsed.suffix === MANIFEST_SUFFIX) group.manifestKey = key;
    else group.objectKeys.push(key);
    groups.set(base, group);
  }
  return groups;
}

/** The backups: the timestamps that have a manifest. */
function backupEntries(groups: ReadonlyMap<string, TimestampGroup>): BackupEntry[] {
  return [...groups.values()].flatMap(({ manifestKey, objectKeys, createdAt }) =>
    manifestKey === undefined
      ? []
      : [{ manifestKey, objectKey: objectKeys.find((key) => /\.dump(\.age)?$/.test(key)), createdAt }],
  );
}

/** A manifest's key without its suffix: the key of its timestamp group. */
function baseOf(manifestKey: string): string {
  return manifestKey.slice(0, -MANIFEST_SUFFIX.length);
}

/** The groups of objects without a manifest whose time is over 24 h before `now`, oldest first. */
function orphans(groups: ReadonlyMap<string, TimestampGroup>, now: Date): TimestampGroup[] {
  return [...groups.values()]
    .filter((group) => group.manifestKey === undefined)
    .filter((group) => now.getTime() - group.createdAt.getTime() > ORPHAN_MIN_AGE_MS)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * Deletes the keys one at a time, in order (`everyVersion`: each key's every version and delete marker); the first
 * failure stops it.
 */
async function deleteInOrder(
  s3: S3Client,
  settings: S3Settings,
  keys: readonly string[],
  everyVersion: boolean,
): Promise<void> {
  for (const [index, key] of keys.entries()) {
    try {
      if (everyVersion) await deleteEveryVersion(s3, settings.bucket, key);
      else await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    } catch (error) {
      const message = deleteFailure(settings, keys.slice(0, index), keys.slice(index), error);
      throw new Error(everyVersion ? `${message} ${VERSIONED_PERMISSIONS}` : message, { cause: error });
    }
  }
}

const VERSIONED_PERMISSIONS =
  'The bucket has Object Lock, where retention deletes each version by its id: that needs s3:ListBucketVersions, ' +
  's3:DeleteObjectVersion and s3:GetObjectRetention besides s3:DeleteObject.';

function deleteFailure(
  settings: S3Settings,
  deleted: readonly string[],
  left: readonly string[],
  error: unknown,
): string {
  return (
    `Retention stopped at the first failed delete: ${explainS3Error(error, settings, `delete ${left[0]!}`)}. ` +
    `Deleted ${deleted.length} key(s) before it: ${listKeys(deleted)}. ` +
    `Not deleted: ${listKeys(left)}. An object left without its manifest is no longer a backup; ` +
    'a later run deletes it once it is over 24 h old.'
  );
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 10).join(', ') || 'none';
  return keys.length > 10 ? `${shown} and ${keys.length - 10} more` : shown;
}
