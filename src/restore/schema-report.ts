/** The schema proof as the job summary and the PR comment show it (GitHub renders this HTML in both). */
import type { SchemaProof } from '../inventory/index.js';
import { escapeHtml } from '../shared/html.js';

/** Differences shown at most; the log has them all. */
const MAX_ROWS = 200;

/** One line for the summary's table. */
export function schemaLine(schema: SchemaProof): string {
  if (!schema.compared) return `not compared: ${escapeHtml(schema.reason)}`;
  const differences = differenceCount(schema);
  const kinds = Object.keys(schema.counts).length;
  const notComparable = schema.diff.notComparable.length;
  const notes = schema.diff.notes.length;
  const tail =
    (notComparable ? `; ${notComparable} not comparable by design (below)` : '') +
    (notes ? `; ${notes} note${notes === 1 ? '' : 's'} (below)` : '');
  return differences
    ? `❌ ${differences} difference${differences === 1 ? '' : 's'} among ${schema.objects} objects of ${kinds} kinds${tail}`
    : `✅ ${schema.objects} objects of ${kinds} kinds match${tail}`;
}

/** The differences (kind, name, what), what is not comparable and why, and the objects counted per kind. */
export function schemaSection(schema: SchemaProof): string {
  if (!schema.compared) return '';
  const { diff } = schema;
  const rows = [
    ...diff.missing.map((o) => [o.kind, o.name, 'missing from the restore']),
    ...diff.extra.map((o) => [o.kind, o.name, 'extra in the restore']),
    ...diff.different.map((o) => [
      o.kind,
      o.name,
      o.attributes.map((a) => `${a.attribute}: ${a.summary}`).join('; '),
    ]),
  ];
  const parts: string[] = [];
  if (rows.length) {
    parts.push(
      '<table><tr><th>Kind</th><th>Object</th><th>Difference</th></tr>' +
        rows
          .slice(0, MAX_ROWS)
          .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
          .join('') +
        '</table>',
    );
    if (rows.length > MAX_ROWS) parts.push(`<p>…and ${rows.length - MAX_ROWS} more: see the log.</p>`);
  }
  if (diff.notes.length) {
    const items = diff.notes
      .map((e) => `<li>${escapeHtml(`${e.kind} ${e.name}`)}: ${escapeHtml(e.note)}</li>`)
      .join('');
    parts.push(`<details><summary>Notes (${diff.notes.length})</summary><ul>${items}</ul></details>`);
  }
  if (diff.notComparable.length) {
    const items = diff.notComparable
      .map((e) => `<li>${escapeHtml(`${e.kind} ${e.name}`)}: ${escapeHtml(e.reason)}</li>`)
      .join('');
    parts.push(
      `<details><summary>Not comparable by design (${diff.notComparable.length})</summary><ul>${items}</ul></details>`,
    );
  }
  const perKind = Object.entries(schema.counts)
    .map(([kind, count]) => `${escapeHtml(kind)} ${count}`)
    .join(', ');
  parts.push(`<details><summary>Objects compared, per kind</summary><p>${perKind}</p></details>`);
  return `\n\n${parts.join('\n\n')}\n\n`;
}

function differenceCount(schema: Extract<SchemaProof, { compared: true }>): number {
  return schema.diff.missing.length + schema.diff.extra.length + schema.diff.different.length;
}
