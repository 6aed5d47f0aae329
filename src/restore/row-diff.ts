import type { Manifest } from '../shared/manifest.js';
import { tableKey } from './target-database.js';

export type RowStatus = 'ok' | 'mismatch' | 'missing' | 'excluded' | 'not counted' | 'extra';

export interface RowDiff {
  readonly table: string;
  readonly expected: number | null;
  readonly restored: number | null;
  readonly status: RowStatus;
}

export interface DiffSummary {
  readonly rows: readonly RowDiff[];
  /** Tables whose count was compared with the manifest. */
  readonly checked: number;
  /** Of those, the ones whose count differs or that are missing. */
  readonly mismatched: number;
}

/**
 * Compares restored row counts with the manifest's, which were taken in the dump's own snapshot: any difference
 * is a defect of the backup or the restore, not drift. Excluded tables must be present and empty; tables with no
 * exact count in the manifest (estimate, off) are listed but not compared; tables the manifest does not know are
 * listed as extra.
 */
export function diffRowCounts(
  manifest: Manifest,
  restored: ReadonlyMap<string, number>,
  restoredLargeObjects?: number,
): DiffSummary {
  const exact = manifest.rowCounts.mode === 'exact';
  const rows: RowDiff[] = [];
  const known = new Set<string>();
  for (const table of manifest.rowCounts.tables) {
    const key = tableKey(table.schema, table.table);
    known.add(key);
    const count = restored.get(key);
    const restoredRows = count ?? null;
    if (table.excluded) {
      // Left out of the dump's data (or entirely) by pg-dump-args: present and empty, or absent.
      rows.push({ table: key, expected: null, restored: restoredRows, status: 'excluded' });
    } else if (count === undefined) {
      rows.push({ table: key, expected: table.rows, restored: null, status: 'missing' });
    } else if (!exact || table.rows === null) {
      rows.push({ table: key, expected: table.rows, restored: restoredRows, status: 'not counted' });
    } else {
      rows.push({
        table: key,
        expected: table.rows,
        restored: count,
        status: count === table.rows ? 'ok' : 'mismatch',
      });
    }
  }
  for (const [key, count] of restored) {
    if (!known.has(key) && manifest.rowCounts.mode !== 'off') {
      rows.push({ table: key, expected: null, restored: count, status: 'extra' });
    }
  }
  const expectedLargeObjects = manifest.rowCounts.largeObjects;
  if (expectedLargeObjects !== undefined && restoredLargeObjects !== undefined) {
    rows.push({
      table: '(large objects)',
      expected: expectedLargeObjects,
      restored: restoredLargeObjects,
      status: expectedLargeObjects === restoredLargeObjects ? 'ok' : 'mismatch',
    });
  }
  const compared = rows.filter(
    (row) => row.status === 'ok' || row.status === 'mismatch' || row.status === 'missing',
  );
  return {
    rows,
    checked: compared.length,
    mismatched: compared.filter((row) => row.status !== 'ok').length,
  };
}
