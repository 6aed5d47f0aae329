import type { S3Client } from '@aws-sdk/client-s3';
import type { PruneInputs } from '../inputs.js';
import { onlyDatabase } from '../storage/backup-catalog.js';
import { BucketCheck } from './bucket-check.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/** `mode: prune`: retention on its own, for one database's backups. */
export async function pruneMode(inputs: PruneInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  await new BucketCheck(s3, inputs.storage, 'write').report();
  const database = inputs.databaseName ?? (await onlyDatabase(s3, inputs.storage));
  facts.database = database;
  facts.prunedCount = await applyRetention(s3, inputs.storage, database, inputs.retention);
}
