/**
 * The schema as the catalog sees it (tables, columns, indexes, constraints), taken before and after the migration
 * command, and the changes between the two. The text diff of `pg_dump --schema-only` is schema-dump.ts and
 * unified-diff.ts.
 */
import type pg from 'pg';
import { ANALYSIS_QUERY_TAG } from './statement-stats.js';

export interface ColumnFacts {
  /** format_type, with the type modifier: `numeric(12,2)`, `character varying(40)`. */
  readonly type: string;
  readonly notNull: boolean;
  /** The default expression, or null. */
  readonly default: string | null;
}

export interface TableFacts {
  /** 'table', 'unlogged table' or 'partitioned table'. */
  readonly kind: string;
  /** Quoted column name → facts, in column order. */
  readonly columns: ReadonlyMap<string, ColumnFacts>;
}

/**
 * The catalog facts of the user tables of a database (extension members and the system schemas left out). Names
 * are schema-qualified and quoted where SQL needs it, e.g. `public.orders` or `billing."Invoice Lines"`.
 */
export interface SchemaSnapshot {
  /** `schema.table` → facts. */
  readonly tables: ReadonlyMap<string, TableFacts>;
  /** `schema.index` → pg_get_indexdef; indexes that implement a constraint appear as that constraint. */
  readonly indexes: ReadonlyMap<string, string>;
  /** `schema.table.constraint` → pg_get_constraintdef; NOT NULL is a column fact instead. */
  readonly constraints: ReadonlyMap<string, string>;
}

export interface SchemaChange {
  readonly kind: 'table' | 'column' | 'index' | 'constraint';
  readonly change: 'added' | 'dropped' | 'altered';
  /** e.g. `public.orders`, `public.orders.total`, `public.orders_note`, `public.orders.orders_total_check`. */
  readonly name: string;
  /** e.g. `numeric(12,2) → numeric(14,2)`, `NOT NULL added`, or the definition of what was added or dropped. */
  readonly detail: string;
}

const KIND_ORDER: readonly SchemaChange['kind'][] = ['table', 'column', 'index', 'constraint'];

/** Ordinary and partitioned tables in user schemas that no extension owns. */
const USER_TABLES = `user_tables AS (
  SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind, c.relpersistence
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))`;

const TABLES_QUERY = `${ANALYSIS_QUERY_TAG} WITH ${USER_TABLES}
  SELECT name,
         CASE WHEN relkind = 'p' THEN 'partitioned table'
              WHEN relpersistence = 'u' THEN 'unlogged table' ELSE 'table' END AS kind
    FROM user_tables`;

const COLUMNS_QUERY = `${ANALYSIS_QUERY_TAG} WITH ${USER_TABLES}
  SELECT t.name AS table, quote_ident(a.attname) AS column, format_type(a.atttypid, a.atttypmod) AS type,
         a.attnotnull AS not_null, pg_get_expr(ad.adbin, ad.adrelid) AS default
    FROM user_tables t
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   ORDER BY t.name, a.attnum`;

const INDEXES_QUERY = `${ANALYSIS_QUERY_TAG} WITH ${USER_TABLES}
  SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM user_tables t
    JOIN pg_index i ON i.indrelid = t.oid
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = ic.relnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k
                      WHERE k.conindid = i.indexrelid AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x'))`;

const CONSTRAINTS_QUERY = `${ANALYSIS_QUERY_TAG} WITH ${USER_TABLES}
  SELECT t.name || '.' || quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS definition
    FROM user_tables t JOIN pg_constraint k ON k.conrelid = t.oid
   WHERE k.contype <> 'n'`;

interface ColumnRow {
  readonly table: string;
  readonly column: string;
  readonly type: string;
  readonly not_null: boolean;
  readonly default: string | null;
}

/**
 * Reads the schema in one read-only snapshot, with search_path set to pg_catalog only so that every name in a
 * definition is schema-qualified, whatever the caller's search_path.
 */
export async function snapshotSchema(client: pg.Client): Promise<SchemaSnapshot> {
  await client.query(`${ANALYSIS_QUERY_TAG} BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`);
  try {
    await client.query(`${ANALYSIS_QUERY_TAG} SET LOCAL search_path = pg_catalog`);
    const tables = await client.query<{ name: string; kind: string }>(TABLES_QUERY);
    const columns = await client.query<ColumnRow>(COLUMNS_QUERY);
    const indexes = await client.query<{ name: string; definition: string }>(INDEXES_QUERY);
    const constraints = await client.query<{ name: string; definition: string }>(CONSTRAINTS_QUERY);
    return {
      tables: tableFacts(tables.rows, columns.rows),
      indexes: new Map(indexes.rows.map((row) => [row.name, row.definition])),
      constraints: new Map(constraints.rows.map((row) => [row.name, row.definition])),
    };
  } finally {
    await client.query(`${ANALYSIS_QUERY_TAG} COMMIT`);
  }
}

function tableFacts(
  tables: readonly { name: string; kind: string }[],
  columns: readonly ColumnRow[],
): Map<string, TableFacts> {
  const columnsByTable = new Map(tables.map((table) => [table.name, new Map<string, ColumnFacts>()]));
  for (const row of columns) {
    columnsByTable.get(row.table)!.set(row.column, {
      type: row.type,
      notNull: row.not_null,
      default: row.default,
    });
  }
  return new Map(
    tables.map((table) => [table.name, { kind: table.kind, columns: columnsByTable.get(table.name)! }]),
  );
}

/** What changed from `before` to `after`, sorted by kind (tables, columns, indexes, constraints) and name. */
export function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot): SchemaChange[] {
  const changes = [
    ...diffMaps('table', before.tables, after.tables, describeTable, (a, b) =>
      a.kind === b.kind ? undefined : `${a.kind} → ${b.kind}`,
    ),
    ...[...before.tables].flatMap(([name, table]) => {
      const kept = after.tables.get(name);
      return kept ? diffColumns(name, table.columns, kept.columns) : [];
    }),
    ...diffMaps('index', before.indexes, after.indexes, String, replacedDefinition),
    ...diffMaps('constraint', before.constraints, after.constraints, String, replacedDefinition),
  ];
  // A name has at most one change of each kind, so kind and name order the list completely.
  return changes.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.name, b.name),
  );
}

function diffColumns(
  table: string,
  before: ReadonlyMap<string, ColumnFacts>,
  after: ReadonlyMap<string, ColumnFacts>,
): SchemaChange[] {
  const qualify = (columns: ReadonlyMap<string, ColumnFacts>) =>
    new Map([...columns].map(([column, facts]) => [`${table}.${column}`, facts]));
  return diffMaps('column', qualify(before), qualify(after), describeColumn, columnAlteration);
}

/**
 * Added and dropped entries described by `describe`; entries in both that `alteration` finds different (it returns
 * undefined when they are the same).
 */
function diffMaps<T>(
  kind: SchemaChange['kind'],
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  describe: (value: T) => string,
  alteration: (before: T, after: T) => string | undefined,
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [name, old] of before) {
    const current = after.get(name);
    const detail = current === undefined ? describe(old) : alteration(old, current);
    if (detail !== undefined)
      changes.push({ kind, change: current === undefined ? 'dropped' : 'altered', name, detail });
  }
  for (const [name, added] of after) {
    if (!before.has(name)) changes.push({ kind, change: 'added', name, detail: describe(added) });
  }
  return changes;
}

/** `table (id bigint NOT NULL, note text)`. */
function describeTable(table: TableFacts): string {
  const columns = [...table.columns].map(([name, facts]) => `${name} ${describeColumn(facts)}`);
  return `${table.kind} (${columns.join(', ')})`;
}

/** `numeric(12,2) NOT NULL DEFAULT 0`. */
function describeColumn(column: ColumnFacts): string {
  return [
    column.type,
    column.notNull ? 'NOT NULL' : '',
    column.default === null ? '' : `DEFAULT ${column.default}`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** `numeric(12,2) → numeric(14,2), NOT NULL added, DEFAULT 0 dropped`, or undefined when nothing changed. */
function columnAlteration(before: ColumnFacts, after: ColumnFacts): string | undefined {
  const parts: string[] = [];
  if (before.type !== after.type) parts.push(`${before.type} → ${after.type}`);
  if (before.notNull !== after.notNull) parts.push(after.notNull ? 'NOT NULL added' : 'NOT NULL dropped');
  if (before.default !== after.default) {
    if (before.default === null) parts.push(`DEFAULT ${after.default!} added`);
    else if (after.default === null) parts.push(`DEFAULT ${before.default} dropped`);
    else parts.push(`DEFAULT ${before.default} → DEFAULT ${after.default}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

function replacedDefinition(before: string, after: string): string | undefined {
  return before === after ? undefined : `${before} → ${after}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
