/** Access methods, operator classes and families, and conversions that users created. */
import type { CollectContext, OwnedRow } from './context.js';
import { digestOf, flag, notInExtension, ownedAttributes, ownedColumns, userSchema } from './context.js';
import { qualifiedName } from './names.js';

const AM_TYPES: Readonly<Record<string, string>> = { t: 'table', i: 'index' };

export async function collectAccessMethods(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{
    name: string;
    type: string;
    handler: string;
    comment: string | null;
  }>(
    `SELECT a.amname AS name, a.amtype::text AS type, a.amhandler::text AS handler,
            obj_description(a.oid, 'pg_am') AS comment
       FROM pg_am a WHERE a.oid >= 16384 AND ${notInExtension('pg_am', 'a.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('access method', qualifiedName(row.name), {
      type: AM_TYPES[row.type] ?? row.type,
      handler: row.handler,
      comment: digestOf(context, row.comment),
    });
  }
}

interface OperatorClassRow extends OwnedRow {
  kind: string;
  schema: string;
  name: string;
  method: string;
  type: string | null;
  is_default: boolean;
  family: string | null;
  members: string | null;
}

/** Named with their access method: a btree and a hash class may share a name. */
export async function collectOperatorClasses(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<OperatorClassRow>(
    `SELECT 'operator class' AS kind, n.nspname AS schema, c.opcname AS name, a.amname AS method,
            format_type(c.opcintype, NULL) AS type, c.opcdefault AS is_default,
            (SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.opfname) FROM pg_opfamily f
               JOIN pg_namespace fn ON fn.oid = f.opfnamespace WHERE f.oid = c.opcfamily) AS family,
            NULL AS members, ${ownedColumns('c.opcowner', 'pg_opclass', 'c.oid')}
       FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod
      WHERE ${userSchema('n')} AND ${notInExtension('pg_opclass', 'c.oid')}
     UNION ALL
     SELECT 'operator family', n.nspname, f.opfname, a.amname, NULL, false, NULL,
            concat_ws(' ',
              (SELECT string_agg(o.amopstrategy || ':' || o.amopopr::regoperator::text, ' '
                 ORDER BY o.amopstrategy, o.amopopr::regoperator::text) FROM pg_amop o WHERE o.amopfamily = f.oid),
              (SELECT string_agg(p.amprocnum || ':' || p.amproc::regprocedure::text, ' '
                 ORDER BY p.amprocnum, p.amproc::regprocedure::text) FROM pg_amproc p WHERE p.amprocfamily = f.oid)),
            ${ownedColumns('f.opfowner', 'pg_opfamily', 'f.oid')}
       FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace JOIN pg_am a ON a.oid = f.opfmethod
      WHERE ${userSchema('n')} AND ${notInExtension('pg_opfamily', 'f.oid')}`,
  );
  for (const row of rows) {
    context.sink.add(row.kind, `${qualifiedName(row.schema, row.name)} using ${row.method}`, {
      ...ownedAttributes(context, row),
      type: row.type,
      default: flag(row.is_default),
      family: row.family,
      members: digestOf(context, row.members),
    });
  }
}

export async function collectConversions(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & {
      schema: string;
      name: string;
      source: string;
      target: string;
      function: string;
      is_default: boolean;
    }
  >(
    `SELECT n.nspname AS schema, c.conname AS name, pg_encoding_to_char(c.conforencoding) AS source,
            pg_encoding_to_char(c.contoencoding) AS target, c.conproc::text AS function, c.condefault AS is_default,
            ${ownedColumns('c.conowner', 'pg_conversion', 'c.oid')}
       FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_conversion', 'c.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('conversion', qualifiedName(row.schema, row.name), {
      ...ownedAttributes(context, row),
      encodings: `${row.source} -> ${row.target}`,
      function: row.function,
      default: flag(row.is_default),
    });
  }
}
