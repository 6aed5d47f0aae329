import { formatBytes } from '../shared/format.js';
import type { Manifest } from '../shared/manifest.js';
import { formatDuration } from '../shared/duration.js';
import type { ClientUsed } from '../shared/client-used.js';
import { writeJobSummary } from '../shared/job-summary.js';
import type { DiffSummary } from './row-diff.js';

export interface DrillReport {
  readonly manifest: Manifest;
  readonly client: ClientUsed;
  readonly database: string;
  readonly diff: DiffSummary;
  readonly backupAgeSeconds: number;
  readonly restoreSeconds: number;
  readonly result: 'passed' | 'failed';
  readonly failures: readonly string[];
}

const STATUS_MARK: Record<string, string> = {
  ok: '✅ ok',
  mismatch: '❌ mismatch',
  missing: '❌ missing',
  excluded: 'excluded',
  'not counted': 'not counted',
  extra: 'extra',
};

/** The drill's job summary: result, RPO and RTO, and the row-count diff, one table per row. */
export async function writeDrillSummary(report: DrillReport): Promise<void> {
  const { manifest, diff } = report;
  await writeJobSummary((summary) =>
    summary
      .addHeading(
        `Restore drill of ${manifest.database}: ${report.result === 'passed' ? '✅ passed' : '❌ failed'}`,
        2,
      )
      .addTable([
        [
          { data: 'What', header: true },
          { data: 'Value', header: true },
        ],
        ['Backup', `<code>${manifest.object.key}</code> (${formatBytes(manifest.object.sizeBytes)})`],
        [
          'Made',
          `${manifest.createdAt} by pg_dump ${manifest.client.pgDump} from PostgreSQL ${manifest.server.version}`,
        ],
        ['RPO (backup age)', formatDuration(report.backupAgeSeconds)],
        ['RTO (restore time)', formatDuration(report.restoreSeconds)],
        ['Restored into', `database <code>${report.database}</code>`],
        ['Restored with', restoredWith(report.client)],
        ['Tables checked', `${diff.checked}, ${diff.mismatched} mismatched`],
      ])
      .addRaw(report.failures.length ? `\n\n**Why it failed:** ${report.failures.join('; ')}.\n\n` : '\n\n')
      .addTable([
        [
          { data: 'Table', header: true },
          { data: 'Expected', header: true },
          { data: 'Restored', header: true },
          { data: 'Status', header: true },
        ],
        ...diff.rows.map((row) => [
          row.table,
          row.expected === null ? '-' : row.expected.toLocaleString('en-US'),
          row.restored === null ? '-' : row.restored.toLocaleString('en-US'),
          STATUS_MARK[row.status] ?? row.status,
        ]),
      ]),
  );
}

export async function writeRestoreSummary(
  manifest: Manifest,
  database: string,
  restoreSeconds: number,
  client: ClientUsed,
): Promise<void> {
  await writeJobSummary((summary) =>
    summary.addHeading(`Restore of ${manifest.database}`, 2).addTable([
      [
        { data: 'What', header: true },
        { data: 'Value', header: true },
      ],
      ['Backup', `<code>${manifest.object.key}</code> (${formatBytes(manifest.object.sizeBytes)})`],
      ['Made', `${manifest.createdAt} by pg_dump ${manifest.client.pgDump}`],
      ['Restored into', `database <code>${database}</code>`],
      ['Restored with', restoredWith(client)],
      ['Restore time', formatDuration(restoreSeconds)],
    ]),
  );
}

function restoredWith(client: ClientUsed): string {
  return `pg_restore ${client.version} (from the ${client.source})`;
}
