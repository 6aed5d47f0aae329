import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PruneInputs } from '../inputs.js';
import { Output } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import { BucketCheck } from './bucket-check.js';
import { chosenDatabases } from './database-choice.js';
import { applyRetention } from './retention-step.js';
import type { RunFactsDraft } from './run-facts.js';

/**
 * `mode: prune`: retention on its own, for one database's backups or several (`database: all`). With several, one
 * failing does not stop the others; the step fails at the end naming each failure.
 */
export async function pruneMode(inputs: PruneInputs, s3: S3Client, facts: RunFactsDraft): Promise<void> {
  await new BucketCheck(s3, inputs.storage, 'write').report();
  const databases = await chosenDatabases(s3, inputs.storage, inputs.databases);
  if (databases.length === 1) {
    facts.database = databases[0]!;
    facts.prunedCount = await applyRetention(s3, inputs.storage, databases[0]!, inputs.retention);
    core.setOutput(Output.PrunedCount, String(facts.prunedCount));
    return;
  }
  const results: { database: string; prunedCount?: number; error?: string }[] = [];
  for (const database of databases) {
    try {
      const group = `Retention of ${database}`;
      results.push({
        database,
        prunedCount: await applyRetention(s3, inputs.storage, database, inputs.retention, group),
      });
    } catch (error) {
      core.error(`Retention of ${database} failed: ${errorMessage(error)}`);
      results.push({ database, error: errorMessage(error) });
    }
  }
  facts.prunedCount = results.reduce((sum, result) => sum + (result.prunedCount ?? 0), 0);
  facts.databases = results.map((result) => ({
    ...result,
    status: result.error === undefined ? 'succeeded' : 'failed',
  }));
  core.setOutput(Output.PrunedCount, String(facts.prunedCount));
  const failed = results.filter((result) => result.error !== undefined);
  if (failed.length) {
    throw new Error(
      `Retention failed for ${failed.length} of ${results.length} databases: ` +
        failed.map((result) => `${result.database}: ${result.error!.split('\n', 1)[0]!}`).join('; '),
    );
  }
}
