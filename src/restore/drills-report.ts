/** What a drill of several databases reports beside each one's own summary: the `backups` output and an overview. */
import type { DatabaseFacts } from '../notify/run-facts.js';
import { formatDuration } from '../shared/duration.js';
import { escapeHtml } from '../shared/html.js';
import { writeJobSummary } from '../shared/job-summary.js';

/** One element of a drill's `backups` output (docs/drill.md documents it). */
export interface DrillsOutputEntry {
  readonly database: string;
  readonly result: 'passed' | 'failed';
  readonly key?: string;
  readonly backupAgeSeconds?: number;
  readonly restoreSeconds?: number;
  readonly tablesChecked?: number;
  readonly tablesMismatched?: number;
  readonly durationSeconds?: number;
  readonly error?: string;
}

export function drillsOutput(drilled: readonly DatabaseFacts[]): DrillsOutputEntry[] {
  const rounded = (value: number | undefined, digits: number) =>
    value === undefined ? undefined : Number(value.toFixed(digits));
  return drilled.map((entry) => ({
    database: entry.database,
    result: entry.status === 'succeeded' ? 'passed' : 'failed',
    key: entry.key,
    backupAgeSeconds: rounded(entry.backupAgeSeconds, 0),
    restoreSeconds: rounded(entry.restoreSeconds, 1),
    tablesChecked: entry.tablesChecked,
    tablesMismatched: entry.tablesMismatched,
    durationSeconds: rounded(entry.durationSeconds, 1),
    error: entry.error,
  }));
}

/** The overview at the end of the job summary, after each database's own drill report. */
export async function writeDrillsOverview(drilled: readonly DatabaseFacts[]): Promise<void> {
  const failed = drilled.filter((entry) => entry.status === 'failed').length;
  const heading =
    `Restore drills of ${drilled.length} databases: ` +
    (failed ? `❌ ${failed} failed, ${drilled.length - failed} passed` : '✅ all passed');
  const optional = (value: number | undefined, format: (value: number) => string) =>
    value === undefined ? '' : format(value);
  await writeJobSummary((summary) =>
    summary
      .addHeading(heading, 2)
      .addTable([
        ['Database', 'Result', 'RPO (backup age)', 'RTO (restore time)', 'Tables mismatched', 'Error'].map(
          (data) => ({ data, header: true }),
        ),
        ...drilled.map((entry) => [
          escapeHtml(entry.database),
          entry.status === 'succeeded' ? '✅ passed' : '❌ failed',
          optional(entry.backupAgeSeconds, formatDuration),
          optional(entry.restoreSeconds, formatDuration),
          optional(entry.tablesMismatched, String),
          escapeHtml(entry.error ?? ''),
        ]),
      ]),
  );
}
