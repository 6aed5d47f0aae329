/** What a backup run reports per database: the `backups` output, and the summary of a run of several. */
import type { ClientUsed } from '../shared/client-used.js';
import { formatDuration } from '../shared/duration.js';
import { escapeHtml } from '../shared/html.js';
import { formatBytes } from '../shared/format.js';
import { writeJobSummary } from '../shared/job-summary.js';
import type { BackupResult } from './backup-context.js';

/** One database's part of the run: its stored backup, or why there is none (or why its retention failed). */
export interface DatabaseBackupOutcome {
  readonly database: string;
  readonly result?: BackupResult;
  readonly client?: ClientUsed & { readonly pgDumpSource: string };
  readonly prunedCount?: number;
  readonly seconds: number;
  readonly error?: string;
}

/** One element of the `backups` output (docs/backup.md documents it); camelCase, for `fromJSON(…)[0].sizeBytes`. */
export interface BackupsOutputEntry {
  readonly database: string;
  readonly status: 'succeeded' | 'failed';
  readonly key?: string;
  readonly manifestKey?: string;
  readonly sizeBytes?: number;
  readonly sha256?: string;
  readonly tableCount?: number;
  readonly rowCount?: number;
  readonly serverVersion?: string;
  readonly pgDumpVersion?: string;
  readonly pgDumpSource?: string;
  readonly prunedCount?: number;
  readonly durationSeconds: number;
  readonly error?: string;
}

export function backupsOutput(outcomes: readonly DatabaseBackupOutcome[]): BackupsOutputEntry[] {
  return outcomes.map((outcome) => {
    const manifest = outcome.result?.manifest;
    const counted = manifest?.rowCounts.tables.filter((table) => !table.excluded);
    return {
      database: outcome.database,
      status: outcome.error === undefined ? 'succeeded' : 'failed',
      key: outcome.result?.keys.object,
      manifestKey: outcome.result?.keys.manifest,
      sizeBytes: manifest?.object.sizeBytes,
      sha256: manifest?.object.sha256,
      tableCount: counted?.length,
      rowCount: counted?.reduce((sum, table) => sum + (table.rows ?? 0), 0),
      serverVersion: manifest?.server.version,
      pgDumpVersion: outcome.client?.version,
      pgDumpSource: outcome.client?.pgDumpSource,
      prunedCount: outcome.prunedCount,
      durationSeconds: Number(outcome.seconds.toFixed(1)),
      error: outcome.error,
    };
  });
}

/** One table for every database of the run, failures first in mind: each row says what to look at. */
export async function writeBackupsSummary(outcomes: readonly DatabaseBackupOutcome[]): Promise<void> {
  const failed = outcomes.filter((outcome) => outcome.error !== undefined).length;
  const heading =
    `Backups of ${outcomes.length} databases: ` +
    (failed ? `${failed} failed, ${outcomes.length - failed} stored` : 'all stored');
  const header = [
    'Database',
    'Result',
    'Server',
    'Client',
    'Size',
    'Duration',
    'Tables',
    'Rows',
    'Key or error',
  ];
  await writeJobSummary((summary) =>
    summary
      .addHeading(heading, 2)
      .addTable([header.map((data) => ({ data, header: true })), ...outcomes.map(summaryRow)]),
  );
}

function summaryRow(outcome: DatabaseBackupOutcome): string[] {
  const [entry] = backupsOutput([outcome]);
  const { result } = outcome;
  const detail =
    outcome.error !== undefined
      ? escapeHtml(outcome.error)
      : `<code>${escapeHtml(result?.keys.object ?? '')}</code>`;
  const cells = [
    escapeHtml(outcome.database),
    outcome.error === undefined ? '✅ stored' : result ? '⚠️ stored, retention failed' : '❌ failed',
    entry!.serverVersion ? `PostgreSQL ${entry!.serverVersion}` : '',
    outcome.client ? `pg_dump ${outcome.client.version}` : '',
    result ? formatBytes(result.manifest.object.sizeBytes) : '',
    formatDuration(outcome.seconds),
    entry!.tableCount === undefined ? '' : String(entry!.tableCount),
    entry!.rowCount === undefined ? '' : entry!.rowCount.toLocaleString('en-US'),
    detail,
  ];
  // An empty cell would render as an unclosed <td>.
  return cells.map((cell) => cell || '–');
}
