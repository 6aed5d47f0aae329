/**
 * Tables (ordinary, partitioned, foreign), views and materialized views, and their columns: what each is, who owns
 * it, its grants (also per column), row level security, and digests of definitions and defaults.
 */
import {
  type Attributes,
  type CollectContext,
  digestOf,
  flag,
  notInExtension,
  ownedAttributes,
  ownedColumns,
  type OwnedRow,
  userSchema,
} from './context.js';
import { catalogName, qualifiedName } from './names.js';

const RELATION_KINDS: Readonly<Record<string, string>> = {
  r: 'table',
  p: 'table',
  f: 'foreign table',
  v: 'view',
  m: 'materialized view',
};

/** Relations of these kinds, in user schemas, not an extension's. */
const RELATIONS = `c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}`;

interface RelationRow extends OwnedRow {
  schema: string;
  name: string;
  relkind: string;
  rls: boolean;
  force_rls: boolean;
  replident: string;
  persistence: string;
  options: string[] | null;
  access_method: string | null;
  tablespace: string | null;
  definition: string | null;
  populated: boolean;
  partition_bound: string | null;
  partition_key: string | null;
  parents: [string, string][] | null;
  of_type: string | null;
  server: string | null;
  foreign_options: string[] | null;
}

export async function collectRelations(context: CollectContext): Promise<Set<string>> {
  const { rows } = await context.client.query<RelationRow>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, c.relreplident::text AS replident,
            c.relpersistence::text AS persistence, c.reloptions::text[] AS options, am.amname AS access_method,
            ts.spcname AS tablespace, c.relispopulated AS populated,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition,
            pg_get_expr(c.relpartbound, c.oid) AS partition_bound,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
            (SELECT json_agg(json_build_array(pn.nspname, pc.relname) ORDER BY i.inhseqno)
               FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
               JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) AS parents,
            CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS of_type,
            fs.srvname AS server, ft.ftoptions AS foreign_options,
            ${ownedColumns('c.relowner', 'pg_class', 'c.oid', { column: 'c.relacl', type: 'r' })}
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_am am ON am.oid = c.relam
       LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
       LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
       LEFT JOIN pg_foreign_server fs ON fs.oid = ft.ftserver
      WHERE ${RELATIONS}`,
  );
  const inheritanceChildren = new Set<string>();
  for (const row of rows) {
    const name = qualifiedName(row.schema, row.name);
    const kind = RELATION_KINDS[row.relkind]!;
    context.sink.add(kind, name, relationAttributes(context, row));
    if (row.tablespace) tablespaceUsed(context, row.tablespace);
    if (row.relkind === 'm') {
      context.sink.notComparable('materialized view contents', name, MATVIEW_CONTENTS);
    }
    if (row.parents && row.partition_bound === null) {
      inheritanceChildren.add(name);
      context.sink.notComparable('column order', name, CHILD_COLUMN_ORDER);
    }
  }
  return inheritanceChildren;
}

const MATVIEW_CONTENTS =
  'a restore refreshes a materialized view from its definition, so its rows are those of the restored tables, ' +
  'not the stale ones of the source; its definition is compared, its contents are not';
const CHILD_COLUMN_ORDER =
  "a logical dump recreates an inheritance child's columns in its parents' order, so the positions of its " +
  'columns are not compared (their names, types and other properties are)';

export function tablespaceUsed(context: CollectContext, tablespace: string): void {
  context.sink.notComparable(
    'tablespace',
    tablespace,
    "a drill's throwaway server has none of the source's tablespaces: objects in this one are restored into " +
      'the default tablespace, so where objects are stored is not compared',
  );
}

function relationAttributes(context: CollectContext, row: RelationRow): Attributes {
  return {
    ...ownedAttributes(context, row),
    partitioned: flag(row.relkind === 'p'),
    'row security': flag(row.rls),
    'forced row security': flag(row.force_rls),
    'replica identity': row.replident === 'd' || row.relkind === 'v' ? undefined : row.replident,
    unlogged: flag(row.persistence === 'u'),
    options: row.options?.slice().sort().join(', '),
    'access method': row.access_method === 'heap' ? undefined : row.access_method,
    definition: digestOf(context, row.definition),
    populated: row.relkind === 'm' ? String(row.populated) : undefined,
    'partition bound': digestOf(context, row.partition_bound),
    'partition key': digestOf(context, row.partition_key),
    inherits: row.parents?.map(([schema, name]) => qualifiedName(schema, name)).join(', '),
    'of type': row.of_type,
    server: row.server,
    'server options': digestOf(context, row.foreign_options?.slice().sort().join('\n')),
  };
}

interface ColumnRow extends OwnedRow {
  schema: string;
  table: string;
  column: string;
  position: string;
  type: string;
  not_null: boolean;
  default: string | null;
  collation: [string, string] | null;
  identity: string;
  generated: string;
  compression: string;
  storage: string | null;
  stattarget: string | null;
  options: string[] | null;
  fdw_options: string[] | null;
}

const IDENTITY: Readonly<Record<string, string>> = { a: 'always', d: 'by default' };
const GENERATED: Readonly<Record<string, string>> = { s: 'stored', v: 'virtual' };

/** Columns of every relation; positions except in inheritance children (`children`), where they may move. */
export async function collectColumns(context: CollectContext, children: ReadonlySet<string>): Promise<void> {
  const { rows } = await context.client.query<ColumnRow>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::text AS position,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity,
            a.attgenerated::text AS generated, a.attcompression::text AS compression,
            CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage,
            CASE WHEN a.attcollation <> t.typcollation THEN (SELECT json_build_array(cn.nspname, co.collname)
               FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
              WHERE co.oid = a.attcollation) END AS collation,
            nullif(nullif(a.attstattarget::text, '-1'), '') AS stattarget,
            a.attoptions::text[] AS options, a.attfdwoptions::text[] AS fdw_options,
            pg_get_userbyid(c.relowner)::text AS owner, col_description(c.oid, a.attnum) AS comment,
            ${columnAcl()}
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND ${RELATIONS}`,
  );
  for (const row of rows) {
    const table = qualifiedName(row.schema, row.table);
    context.sink.add('column', `${table}.${qualifiedName(row.column)}`, {
      // A column's owner is its table's: only its comment and grants are its own.
      ...ownedAttributes(context, row),
      owner: undefined,
      position: children.has(table) ? undefined : row.position,
      type: row.type,
      'not null': flag(row.not_null),
      // For a generated column, the generation expression.
      default: digestOf(context, row.default),
      generated: GENERATED[row.generated],
      identity: IDENTITY[row.identity],
      collation: catalogName(row.collation),
      compression: row.compression || undefined,
      storage: row.storage,
      statistics: row.stattarget,
      options: row.options?.slice().sort().join(', '),
      'server options': digestOf(context, row.fdw_options?.slice().sort().join('\n')),
    });
  }
}

/** A column has no privileges by default; its ACL is all grants. */
function columnAcl(): string {
  return `(SELECT json_agg(json_build_array(CASE x.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
      pg_get_userbyid(x.grantor)::text, x.privilege_type, x.is_grantable)) FROM aclexplode(a.attacl) x) AS granted,
    NULL::json AS revoked`;
}
