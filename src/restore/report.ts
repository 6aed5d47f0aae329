import type * as core from '@actions/core';
import { formatBytes } from '../shared/format.js';
import type { Manifest } from '../shared/manifest.js';
import { formatDuration } from '../shared/duration.js';
import type { ClientUsed } from '../shared/client-used.js';
import { writeJobSummary } from '../shared/job-summary.js';
import { escapeHtml } from '../shared/html.js';
import { scrubForPosting } from '../shared/posted-text.js';
import type { RestoreProblem } from './pg-restore.js';

/** A server as the summary names it: `server_version` whole, which names the build. */
export interface ServerBuild {
  readonly fullVersion: string;
}
import type { OwnershipReport } from './restore-archive.js';
import type { DiffSummary } from './row-diff.js';
import type { SchemaProof } from '../inventory/index.js';
import { schemaLine, schemaSection } from './schema-report.js';
import { statementHead } from './pg-restore.js';

export interface DrillReport {
  readonly manifest: Manifest;
  readonly client: ClientUsed;
  /** The server restored into. */
  readonly target: ServerBuild;
  readonly database: string;
  readonly ownership: OwnershipReport | undefined;
  readonly diff: DiffSummary;
  readonly schema: SchemaProof;
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
        ...whichBackup(manifest),
        serversRow(manifest, report.target),
        ['RPO (backup age)', formatDuration(report.backupAgeSeconds)],
        ['RTO (restore time)', formatDuration(report.restoreSeconds)],
        ['Restored into', `database <code>${escapeHtml(report.database)}</code>`],
        ['Restored with', restoredWith(report.client)],
        ['Owners and privileges', ownershipLine(report.ownership)],
        ['Tables checked', `${diff.checked}, ${diff.mismatched} mismatched`],
        ['Schema', schemaLine(report.schema)],
      ])
      .addRaw(
        report.failures.length
          ? `\n\n**Why it failed:** ${escapeHtml(scrubForPosting(report.failures.join('; ')))}.\n\n`
          : '\n\n',
      )
      .addRaw(schemaSection(report.schema))
      .addTable([
        [
          { data: 'Table', header: true },
          { data: 'Expected', header: true },
          { data: 'Restored', header: true },
          { data: 'Status', header: true },
        ],
        ...diff.rows.map((row) => [
          escapeHtml(row.table),
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
  ownership: OwnershipReport | undefined,
): Promise<void> {
  await writeJobSummary((summary) =>
    summary.addHeading(`Restore of ${manifest.database}`, 2).addTable([
      [
        { data: 'What', header: true },
        { data: 'Value', header: true },
      ],
      ['Backup', `<code>${manifest.object.key}</code> (${formatBytes(manifest.object.sizeBytes)})`],
      ['Made', `${manifest.createdAt} by pg_dump ${manifest.client.pgDump}`],
      ['Restored into', `database <code>${escapeHtml(database)}</code>`],
      ['Restored with', restoredWith(client)],
      ['Owners and privileges', ownershipLine(ownership)],
      ['Restore time', formatDuration(restoreSeconds)],
    ]),
  );
}

/** What a drill knows when it fails before its verdict. */
export interface FailedDrillReport {
  readonly manifest: Manifest;
  readonly client: ClientUsed;
  readonly target: ServerBuild;
  readonly backupAgeSeconds: number;
  /** Until the failure. */
  readonly restoreSeconds: number;
  readonly reason: string;
  /** Where it stopped: `during the restore`, `after the restore`, `after the row counts`. */
  readonly stage: string;
  /** pg_restore's errors with their statements, when it was pg_restore that failed. */
  readonly problems: readonly RestoreProblem[];
}

/** The summary of a drill that did not get to compare anything: why, and the statements that failed. */
export async function writeFailedDrillSummary(report: FailedDrillReport): Promise<void> {
  const { manifest } = report;
  await writeJobSummary((summary) => {
    summary
      .addHeading(`Restore drill of ${escapeHtml(manifest.database)}: ❌ failed`, 2)
      .addTable([
        ...whichBackup(manifest),
        serversRow(manifest, report.target),
        ['RPO (backup age)', formatDuration(report.backupAgeSeconds)],
        [
          report.stage === 'during the restore' ? 'Failed after' : 'RTO (restore time)',
          formatDuration(report.restoreSeconds),
        ],
        ['Failed', report.stage],
        ['Restored with', restoredWith(report.client)],
        [
          'Tables checked',
          report.stage === 'after the row counts'
            ? 'see the log: the drill stopped after comparing them'
            : 'none: the drill stopped before the comparison',
        ],
      ]);
    summary.addRaw(`\n\n**Why it failed:** ${escapeHtml(scrubForPosting(report.reason))}\n\n`);
    if (report.problems.length) {
      summary.addTable([
        [
          { data: 'Error', header: true },
          { data: 'Statement (first line)', header: true },
          { data: 'What to do', header: true },
        ],
        ...report.problems.map((problem) => [
          escapeHtml(scrubForPosting(problem.error)),
          problem.command
            ? `<code>${escapeHtml(scrubForPosting(statementHead(problem.command)))}</code>`
            : '-',
          escapeHtml(problem.hint ?? '-'),
        ]),
      ]);
    }
    return summary;
  });
}

/** The table's header and the rows that say which backup was drilled. */
/** A row of `core.summary.addTable`, whose type @actions/core does not export by name. */
type SummaryRow = Parameters<typeof core.summary.addTable>[0][number];

function whichBackup(manifest: Manifest): SummaryRow[] {
  return [
    [
      { data: 'What', header: true },
      { data: 'Value', header: true },
    ],
    ['Backup', `<code>${manifest.object.key}</code> (${formatBytes(manifest.object.sizeBytes)})`],
    [
      'Made',
      `${manifest.createdAt} by pg_dump ${manifest.client.pgDump} from PostgreSQL ${manifest.server.version}`,
    ],
  ];
}

/**
 * The source's build (from the manifest) and the target's: a drill across builds (a provider's and the drill's
 * throwaway server are never the same one) is what it proves, and a difference may come from either side.
 */
function serversRow(manifest: Manifest, target: ServerBuild): SummaryRow {
  const source = manifest.server.fullVersion ?? manifest.server.version;
  return ['Servers (backup → restore)', escapeHtml(`PostgreSQL ${source} → ${target.fullVersion}`)];
}

function ownershipLine(ownership: OwnershipReport | undefined): string {
  if (!ownership) return 'not restored (ownership: none, or a backup made before roles were kept)';
  const done = ownership.done.length ? `restored; ${escapeHtml(ownership.done.join(', '))}` : 'restored';
  const failed = ownership.failed.length ? `; ❌ failed: ${escapeHtml(ownership.failed.join('; '))}` : '';
  const warned = ownership.warnings.length ? `; ⚠️ ${escapeHtml(ownership.warnings.join('; '))}` : '';
  return `${done}${failed}${warned}`;
}

function restoredWith(client: ClientUsed): string {
  return `pg_restore ${client.version} (from the ${client.source})`;
}
