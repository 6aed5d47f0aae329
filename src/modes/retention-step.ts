import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RetentionPolicy } from '../retention/policy.js';
import { type LockedBackup, pruneBackups, retentionTable } from '../retention/prune.js';
import type { S3Settings } from '../storage/s3-client.js';

/** Applies retention to one database's backups, logs the decision table, and returns how many were deleted. */
export async function applyRetention(
  s3: S3Client,
  settings: S3Settings,
  database: string,
  policy: RetentionPolicy,
  group = 'Retention',
): Promise<number> {
  return core.group(group, async () => {
    const result = await pruneBackups(s3, settings, database, policy);
    core.info(retentionTable(result.decisions, result.locked));
    for (const note of result.notes) core.info(note);
    logLocked(result.locked);
    const deleted = result.deletedBackups + result.orphansDeleted.length;
    if (result.orphansDeleted.length) {
      core.info(
        `Removed ${result.orphansDeleted.length} object(s) of interrupted runs: ${result.orphansDeleted.join(', ')}`,
      );
    }
    return deleted;
  });
}

/** Backups retention would delete but Object Lock still protects: kept, never an error; a later run deletes them. */
function logLocked(locked: readonly LockedBackup[]): void {
  if (!locked.length) return;
  const listed = locked.map(
    ({ createdAt, retainUntil, orphan }) =>
      `${createdAt.toISOString().replace(/\.000Z$/, 'Z')}${orphan ? ' (interrupted run)' : ''} locked until ` +
      retainUntil.toISOString(),
  );
  core.info(
    `Kept ${locked.length} backup(s) that Object Lock still protects, for a later run to delete: ${listed.join('; ')}`,
  );
}
