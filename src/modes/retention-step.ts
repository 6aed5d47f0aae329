import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RetentionPolicy } from '../retention/policy.js';
import { pruneBackups, retentionTable } from '../retention/prune.js';
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
    core.info(retentionTable(result.decisions));
    const deleted =
      result.decisions.filter((decision) => !decision.keep).length + result.orphansDeleted.length;
    if (result.orphansDeleted.length) {
      core.info(
        `Removed ${result.orphansDeleted.length} object(s) of interrupted runs: ${result.orphansDeleted.join(', ')}`,
      );
    }
    return deleted;
  });
}
