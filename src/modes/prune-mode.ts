import type { S3Client } from '@aws-sdk/client-s3';
import type { PruneInputs } from '../inputs.js';
import { listDatabases } from '../storage/backup-catalog.js';
import { Input } from '../constants.js';
import { InputError } from '../errors.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/** `mode: prune`: retention on its own, for one database's backups. */
export async function pruneMode(inputs: PruneInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  const database = inputs.databaseName ?? (await onlyDatabase(s3, inputs));
  facts.database = database;
  facts.prunedCount = await applyRetention(s3, inputs.storage, database, inputs.retention);
}

async function onlyDatabase(s3: S3Client, inputs: PruneInputs): Promise<string> {
  const databases = await listDatabases(s3, inputs.storage);
  if (databases.length === 1) return databases[0]!;
  throw new InputError(
    Input.Database,
    databases.length
      ? `is not set and the prefix holds backups of several databases (${databases.join(', ')}): say which one to prune.`
      : `is not set, and there are no backups under the prefix '${inputs.storage.prefix}'.`,
  );
}
