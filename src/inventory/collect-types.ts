/**
 * Types (enum labels, composite attributes, range subtypes, shell and base types) and domains (base type,
 * default, constraints), and collations. Array types and multiranges are left out: their element or range type
 * creates them.
 */
import type { CollectContext, OwnedRow } from './context.js';
import { digestOf, flag, notInExtension, ownedAttributes, ownedColumns, userSchema } from './context.js';
import { qualifiedName } from './names.js';

interface TypeRow extends OwnedRow {
  schema: string;
  name: string;
  typtype: string;
  defined: boolean;
  labels: string[] | null;
  fields: string[] | null;
  subtype: string | null;
  multirange: string | null;
  range_functions: string | null;
  base: string | null;
  not_null: boolean;
  default: string | null;
  constraints: [string, string, string | null][] | null;
  io: string | null;
}

const COLLATE = `(SELECT ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
    FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation
     AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid))`;

const TYPE_COLUMNS = `
  n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype, t.typisdefined AS defined,
  CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
    ORDER BY e.enumsortorder) END AS labels,
  CASE WHEN t.typtype = 'c' THEN ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
    || coalesce(${COLLATE}, '') FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
    AND NOT a.attisdropped ORDER BY a.attnum) END AS fields,
  format_type(r.rngsubtype, NULL) AS subtype, format_type(r.rngmultitypid, NULL) AS multirange,
  CASE WHEN r.rngtypid IS NOT NULL THEN concat_ws(', ',
    (SELECT quote_ident(opn.nspname) || '.' || quote_ident(opc.opcname) FROM pg_opclass opc
       JOIN pg_namespace opn ON opn.oid = opc.opcnamespace WHERE opc.oid = r.rngsubopc),
    nullif(r.rngcanonical::text, '-'), nullif(r.rngsubdiff::text, '-')) END AS range_functions,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base, t.typnotnull AS not_null,
  t.typdefault AS default,
  (SELECT json_agg(json_build_array(c.conname, pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint'))
     ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid) AS constraints,
  CASE WHEN t.typtype = 'b' THEN concat_ws(', ', t.typinput::text, t.typoutput::text, nullif(t.typreceive::text, '-'),
    nullif(t.typsend::text, '-')) END AS io`;

export async function collectTypes(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<TypeRow>(
    `SELECT ${TYPE_COLUMNS}, ${ownedColumns('t.typowner', 'pg_type', 't.oid', { column: 't.typacl', type: 'T' })}
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_range r ON r.rngtypid = t.oid
      WHERE ${userSchema('n')} AND ${notInExtension('pg_type', 't.oid')} AND t.typtype <> 'm'
        AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
        AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid)`,
  );
  for (const row of rows) {
    const name = qualifiedName(row.schema, row.name);
    if (row.typtype === 'd') {
      context.sink.add('domain', name, {
        ...ownedAttributes(context, row),
        ...domainAttributes(context, row),
      });
      continue;
    }
    context.sink.add('type', name, {
      ...ownedAttributes(context, row),
      shell: flag(!row.defined),
      labels: row.labels?.join(', '),
      fields: row.fields?.join(', '),
      subtype: row.subtype,
      multirange: row.multirange,
      'range functions': row.range_functions,
      'input and output': row.io,
    });
  }
}

function domainAttributes(context: CollectContext, row: TypeRow): Record<string, string | undefined> {
  const attributes: Record<string, string | undefined> = {
    base: row.base ?? undefined,
    'not null': flag(row.not_null),
    default: digestOf(context, row.default),
  };
  for (const [name, definition, comment] of row.constraints ?? []) {
    attributes[`constraint:${name}`] = digestOf(context, definition);
    attributes[`constraint comment:${name}`] = digestOf(context, comment);
  }
  return attributes;
}

/** Columns that differ by major (the ICU locale's, the rules) are read from the row as JSON. */
export async function collectCollations(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { schema: string; name: string; row: Record<string, unknown> }
  >(
    `SELECT n.nspname AS schema, c.collname AS name, to_jsonb(c) AS row,
            ${ownedColumns('c.collowner', 'pg_collation', 'c.oid')}
       FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_collation', 'c.oid')}`,
  );
  const text = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;
  for (const { row, ...collation } of rows) {
    context.sink.add('collation', qualifiedName(collation.schema, collation.name), {
      ...ownedAttributes(context, collation),
      provider: text(row.collprovider),
      deterministic: text(row.collisdeterministic),
      encoding: row.collencoding === -1 ? undefined : text(row.collencoding),
      collate: text(row.collcollate),
      ctype: text(row.collctype),
      locale: text(row.colllocale ?? row.colliculocale),
      rules: digestOf(context, text(row.collicurules)),
    });
  }
  if (rows.length > 0) {
    context.sink.notComparable(
      'collation versions',
      'all collations',
      "a collation's version is that of the C library or ICU of the server that has it, not the dump's",
    );
  }
}
