import type { Manifest } from '../shared/manifest.js';
import { formatDuration } from '../shared/duration.js';
import { codeBlock } from '../shared/markdown.js';
import type { MigrationAnalysis } from './check-migration.js';
import { formatLock } from './lock-sampler.js';

/** The hidden marker that finds the one PR comment this check keeps up to date. */
export const REPORT_MARKER = '<!-- postgres-backup-action:migration-check -->';

/** A lock held this long (two samples or more) blocks production writes long enough to notice. */
export const LONG_LOCK_SECONDS = 0.2;

/** The migration check's report, in GitHub markdown, for the job summary and the PR comment. */
/**
 * The PR comment. `restoreProof` is the drill's own verdict on the restore it ran the migration on (the schema
 * proof, as HTML), shown first: a migration checked on a restore that lost objects proves less.
 */
export function migrationReport(
  analysis: MigrationAnalysis,
  manifest: Manifest,
  restoreProof: readonly string[] = [],
): string {
  const { run } = analysis;
  const passed = run.exitCode === 0;
  const lines: string[] = [
    `## Migration check on ${manifest.database}: ${passed ? '✅ passed' : '❌ failed'}`,
    '',
    `Ran \`${oneLine(analysis.command)}\` against a restore of \`${manifest.object.key}\` (made ${manifest.createdAt}, ` +
      `PostgreSQL ${manifest.server.version}): ${passed ? 'exit 0' : run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode}`} ` +
      `after ${formatDuration(run.seconds)}.`,
    '',
    ...restoreProof,
    ...lockSection(analysis),
    ...schemaSection(analysis),
    ...rowSection(analysis),
    ...statementSection(analysis),
    `<details><summary>${passed ? 'Output' : '❌ Output'} (last lines)</summary>`,
    '',
    codeBlock(run.outputTail, 'text'),
    '</details>',
  ];
  return lines.join('\n');
}

/** Every lock seen (sampled every 100 ms), longest first; those of LONG_LOCK_SECONDS or more are flagged. */
function lockSection({ locks, rowsBefore }: MigrationAnalysis): string[] {
  const lines = ['### Locks that block writes', ''];
  // Compared as shown (to a tenth of a second), so the sentence and the list never disagree.
  const long = (seconds: number) => Math.round(seconds * 10) / 10 >= LONG_LOCK_SECONDS;
  if (!locks.some((lock) => long(lock.seconds))) {
    lines.push(`No table was locked against writes for ${LONG_LOCK_SECONDS} s or more.`, '');
  }
  for (const lock of locks) {
    lines.push(`- ${long(lock.seconds) ? '⚠️ ' : ''}${formatLock(lock, rowsBefore.get(lock.table))}`);
  }
  return [...lines, ''];
}

function schemaSection({ schemaChanges, schemaDiff }: MigrationAnalysis): string[] {
  const lines = ['### Schema changes', ''];
  if (!schemaChanges.length) lines.push('None.');
  for (const change of schemaChanges) {
    lines.push(
      `- ${change.change} ${change.kind} \`${change.name}\`${change.detail ? `: ${change.detail}` : ''}`,
    );
  }
  if (schemaDiff) {
    lines.push(
      '',
      '<details><summary>Full schema diff (pg_dump --schema-only)</summary>',
      '',
      codeBlock(schemaDiff, 'diff'),
      '</details>',
    );
  }
  return [...lines, ''];
}

function rowSection({ rowsBefore, rowsAfter }: MigrationAnalysis): string[] {
  const tables = [...new Set([...rowsBefore.keys(), ...rowsAfter.keys()])].sort();
  const changed = tables.filter((table) => rowsBefore.get(table) !== rowsAfter.get(table));
  const lines = ['### Row counts', ''];
  if (!changed.length) return [...lines, 'No table gained or lost rows.', ''];
  lines.push('| Table | Before | After | Change |', '|---|---:|---:|---:|');
  for (const table of changed) {
    const before = rowsBefore.get(table);
    const after = rowsAfter.get(table);
    const delta = (after ?? 0) - (before ?? 0);
    lines.push(
      `| ${table} | ${format(before)} | ${format(after)} | ${delta > 0 ? '+' : ''}${delta.toLocaleString('en-US')} |`,
    );
  }
  return [...lines, ''];
}

function statementSection({ statements }: MigrationAnalysis): string[] {
  const lines = ['### Slowest statements', ''];
  if (!statements.available) return [...lines, statements.reason, ''];
  if (!statements.slowest.length) return [...lines, 'None recorded.', ''];
  lines.push('| Statement | Calls | Total | Mean |', '|---|---:|---:|---:|');
  for (const statement of statements.slowest) {
    lines.push(
      `| \`${oneLine(statement.query).replaceAll('|', '\\|')}\` | ${statement.calls} | ${statement.totalMs.toFixed(0)} ms | ${statement.meanMs.toFixed(1)} ms |`,
    );
  }
  return [...lines, ''];
}

function format(rows: number | undefined): string {
  return rows === undefined ? '-' : rows.toLocaleString('en-US');
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}…` : line;
}
