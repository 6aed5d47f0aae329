/**
 * Sequences: their definition, the column that owns them, and (when asked) their values. Values are read from the
 * sequence itself (`SELECT last_value, is_called`), which is not transactional: on a restored database that is
 * exactly what the dump set; at backup time the dump's own values come from its table of contents instead
 * (`applySequenceValues`).
 */
import type { CollectContext, OwnedRow } from './context.js';
import { flag, notInExtension, ownedAttributes, ownedColumns, userSchema } from './context.js';
import { qualifiedName } from './names.js';
import { quoteIdent } from '../shared/sql.js';

interface SequenceRow extends OwnedRow {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  persistence: string;
  owned_by: [string, string, string, string] | null;
  readable: boolean;
}

export const SEQUENCE_VALUE_OMITTED =
  "the sequence's value was not recorded: the backup takes it from the dump's table of contents";

export async function collectSequences(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<SequenceRow>(
    `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type,
            s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
            s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
            c.relpersistence::text AS persistence,
            (SELECT json_build_array(dn.nspname, dc.relname, da.attname, d.deptype)
               FROM pg_depend d JOIN pg_class dc ON dc.oid = d.refobjid
               JOIN pg_namespace dn ON dn.oid = dc.relnamespace
               JOIN pg_attribute da ON da.attrelid = d.refobjid AND da.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS owned_by,
            has_sequence_privilege(c.oid, 'SELECT') AS readable,
            ${ownedColumns('c.relowner', 'pg_class', 'c.oid', { column: 'c.relacl', type: 's' })}
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
      WHERE c.relkind = 'S' AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}`,
  );
  const values =
    context.options.sequenceValues === 'omit'
      ? new Map<SequenceRow, Value>()
      : await readValues(context, rows);
  for (const row of rows) {
    const name = qualifiedName(row.schema, row.name);
    const [schema, table, column, deptype] = row.owned_by ?? [];
    const ownedBy = schema && table && column ? qualifiedName(schema, table, column) : undefined;
    const value = values.get(row);
    context.sink.add('sequence', name, {
      ...ownedAttributes(context, row),
      type: row.type,
      start: row.start,
      increment: row.increment,
      min: row.min,
      max: row.max,
      cache: row.cache,
      cycle: flag(row.cycle),
      unlogged: flag(row.persistence === 'u'),
      'owned by': deptype === 'a' ? ownedBy : undefined,
      'identity of': deptype === 'i' ? ownedBy : undefined,
      value: value?.value,
      called: value ? String(value.called) : undefined,
    });
    if (context.options.sequenceValues === 'omit') {
      context.sink.notComparable('sequence value', name, SEQUENCE_VALUE_OMITTED);
    } else if (!row.readable) {
      context.sink.notComparable('sequence value', name, 'the connecting role may not read this sequence');
    }
  }
}

const BATCH = 200;

interface Value {
  readonly value: string;
  readonly called: boolean;
}

/** One UNION ALL per batch of sequences, rather than a round trip each. */
async function readValues(
  context: CollectContext,
  rows: readonly SequenceRow[],
): Promise<Map<SequenceRow, Value>> {
  const readable = rows.filter((row) => row.readable);
  const values = new Map<SequenceRow, Value>();
  for (let start = 0; start < readable.length; start += BATCH) {
    const batch = readable.slice(start, start + BATCH);
    const text = batch
      .map(
        (row, index) =>
          `SELECT ${index} AS i, last_value::text AS value, is_called AS called FROM ${quoteIdent(row.schema)}.${quoteIdent(row.name)}`,
      )
      .join(' UNION ALL ');
    const result = await context.client.query<{ i: number; value: string; called: boolean }>(text);
    for (const { i, value, called } of result.rows) values.set(batch[i]!, { value, called });
  }
  return values;
}
