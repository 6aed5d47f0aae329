/**
 * Applies a retention policy to one database's folder in the bucket. A backup is its manifest and the objects with
 * the same timestamp (the dump, and its globals from 0.3 on); its manifest goes first, so a half-deleted backup is an object without a manifest (which no
 * restore ever picks, and a later run removes) rather than a manifest whose object is gone.
 */
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

import { databaseFolder, MANIFEST_SUFFIX, timestampName } from '../storage/object-layout.js';
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
}

/** Objects without a manifest younger than this may be a backup still being written. */
const ORPHAN_MIN_AGE_MS = 24 * 60 * 60 * 1000;

/** `<YYYY-MM-DDTHH-MM-SSZ>` and a suffix of the layout (object-layout.ts), directly in the database's folder. */
const LAYOUT_NAME =
  /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(\.dump\.age|\.dump|\.globals\.json\.age|\.globals\.json|\.manifest\.json)$/;

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
  const backupKeys = dropped.flatMap(({ backup }) => keysOf(groups, backup));
  const orphanKeys = orphans(groups, now);
  await deleteInOrder(s3, settings, [...backupKeys, ...orphanKeys]);
  return { decisions, deletedKeys: backupKeys, orphansDeleted: orphanKeys };
}

/** A table for the log and the job summary: one row per backup, newest first. */
export function retentionTable(decisions: readonly RetentionDecision[]): string {
  const rows = decisions.map(
    ({ backup, keep, reasons }) =>
      `| ${backup.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z')} | ${keep ? 'keep' : 'delete'} | ${reasons.join(', ')} |`,
  );
  return ['| Backup (UTC) | Action | Kept by |', '| --- | --- | --- |', ...rows].join('\n');
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
    const parsed = parseLayoutName(key.slice(folder.length));
    if (!parsed) continue;
    const base = key.slice(0, -parsed.suffix.length);
    const group = groups.get(base) ?? { createdAt: parsed.createdAt, objectKeys: [] };
    if (parsed.suffix === MANIFEST_SUFFIX) group.manifestKey = key;
    else group.objectKeys.push(key);
    groups.set(base, group);
  }
  return groups;
}

function parseLayoutName(name: string): { createdAt: Date; suffix: string } | undefined {
  const match = LAYOUT_NAME.exec(name);
  if (!match) return undefined;
  const [, timestamp, suffix] = match;
  const createdAt = new Date(timestamp!.replace(/T(\d\d)-(\d\d)-(\d\d)Z$/, 'T$1:$2:$3Z'));
  // Only the exact form the backup writes: no month 13, no 31 February.
  if (Number.isNaN(createdAt.getTime()) || timestampName(createdAt) !== timestamp) return undefined;
  return { createdAt, suffix: suffix! };
}

/** The backups: the timestamps that have a manifest. */
function backupEntries(groups: ReadonlyMap<string, TimestampGroup>): BackupEntry[] {
  return [...groups.values()].flatMap(({ manifestKey, objectKeys, createdAt }) =>
    manifestKey === undefined
      ? []
      : [{ manifestKey, objectKey: objectKeys.find((key) => /\.dump(\.age)?$/.test(key)), createdAt }],
  );
}

/** A dropped backup's keys in deletion order: the manifest, then its object(s). */
function keysOf(groups: ReadonlyMap<string, TimestampGroup>, backup: BackupEntry): string[] {
  const base = backup.manifestKey.slice(0, -MANIFEST_SUFFIX.length);
  return [backup.manifestKey, ...(groups.get(base)?.objectKeys ?? [])];
}

/** Objects without a manifest whose time is over 24 h before `now`, oldest first. */
function orphans(groups: ReadonlyMap<string, TimestampGroup>, now: Date): string[] {
  return [...groups.values()]
    .filter((group) => group.manifestKey === undefined)
    .filter((group) => now.getTime() - group.createdAt.getTime() > ORPHAN_MIN_AGE_MS)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    .flatMap((group) => group.objectKeys);
}

/** Deletes the keys one at a time, in order; the first failure stops it. */
async function deleteInOrder(s3: S3Client, settings: S3Settings, keys: readonly string[]): Promise<void> {
  for (const [index, key] of keys.entries()) {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    } catch (error) {
      throw new Error(deleteFailure(settings, keys.slice(0, index), keys.slice(index), error), {
        cause: error,
      });
    }
  }
}

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
