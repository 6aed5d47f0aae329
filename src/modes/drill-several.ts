import * as core from '@actions/core';
import type { DatabaseFacts } from '../notify/run-facts.js';
import { drillsOutput, writeDrillsOverview } from '../restore/drills-report.js';
import { Output } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import type { RunFactsDraft } from './run-facts.js';

/**
 * A drill of several databases' latest backups, one after another into the same target server: each is judged on
 * its own (a failure does not stop the others), then one overview closes the job summary, the `backups` output
 * lists each one, and the single outputs say the run as a whole: `result` passed only if every drill did, the
 * oldest backup's age (the run's worst RPO), the restores' total time, and the tables of all.
 */
export async function drillSeveral(
  databases: readonly string[],
  drillOne: (database: string, facts: RunFactsDraft) => Promise<void>,
  facts: RunFactsDraft,
): Promise<void> {
  const drilled: DatabaseFacts[] = [];
  for (const [index, database] of databases.entries()) {
    core.info(`Drill ${index + 1} of ${databases.length}: ${database}`);
    const started = performance.now();
    const draft: RunFactsDraft = { mode: facts.mode };
    let error: string | undefined;
    try {
      await drillOne(database, draft);
    } catch (failure) {
      error = errorMessage(failure);
      core.error(`The drill of ${database} failed: ${error}`);
    }
    drilled.push({
      key: draft.key,
      backupAgeSeconds: draft.backupAgeSeconds,
      restoreSeconds: draft.restoreSeconds,
      tablesChecked: draft.tablesChecked,
      tablesMismatched: draft.tablesMismatched,
      database,
      status: error === undefined ? 'succeeded' : 'failed',
      durationSeconds: (performance.now() - started) / 1000,
      error,
    });
  }
  facts.databases = drilled;
  setRunOutputs(drilled);
  await writeDrillsOverview(drilled);
  const failed = drilled.filter((entry) => entry.error !== undefined);
  if (failed.length) {
    throw new Error(
      `${failed.length} of ${drilled.length} drills failed: ` +
        failed.map((entry) => `${entry.database}: ${entry.error!.split('\n', 1)[0]!}`).join('; '),
    );
  }
}

function setRunOutputs(drilled: readonly DatabaseFacts[]): void {
  const sum = (pick: (entry: DatabaseFacts) => number | undefined) =>
    drilled.reduce((total, entry) => total + (pick(entry) ?? 0), 0);
  core.setOutput(Output.Backups, JSON.stringify(drillsOutput(drilled)));
  core.setOutput(Output.Result, drilled.every((entry) => entry.error === undefined) ? 'passed' : 'failed');
  core.setOutput(
    Output.BackupAgeSeconds,
    Math.max(0, ...drilled.map((entry) => entry.backupAgeSeconds ?? 0)).toFixed(0),
  );
  core.setOutput(Output.RestoreSeconds, sum((entry) => entry.restoreSeconds).toFixed(1));
  core.setOutput(Output.TablesChecked, String(sum((entry) => entry.tablesChecked)));
  core.setOutput(Output.TablesMismatched, String(sum((entry) => entry.tablesMismatched)));
  // Each database's own: in `backups`, not here, where the last one's would pass for the run's.
  for (const name of [Output.Key, Output.ManifestKey, Output.ServerVersion, Output.PgDumpVersion]) {
    core.setOutput(name, '');
  }
}
