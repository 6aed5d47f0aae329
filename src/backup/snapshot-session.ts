import type pg from 'pg';
import { errorMessage } from '../shared/errors.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { withClient } from '../postgres/server-version.js';
import { quoteIdent } from '../shared/sql.js';
import type { DumpContents } from './dump-contents.js';
import type { RowCountMode, TableRowCount } from '../shared/manifest.js';
import type { DatabaseProperties } from '../shared/globals.js';
import { collectInventory, type Inventory } from '../inventory/index.js';
import { readDatabaseProperties } from './globals.js';

export interface RowCounts {
  readonly tables: TableRowCount[];
  readonly largeObjects?: number;
}

/**
 * A REPEATABLE READ transaction held open for the length of the backup. It exports its snapshot for
 * `pg_dump --snapshot`, so the row counts it takes are those of the very rows the dump holds.
 */
export interface SnapshotSession {
  /** The exported snapshot, or undefined when the server could not export one (a standby, a pooler). */
  readonly snapshotId: string | undefined;
  /** Why no snapshot was exported. */
  readonly unsharedReason: string | undefined;
  /** Counts the rows of what the dump holds, and lists every other user table as excluded. */
  countRows(contents: DumpContents, mode: RowCountMode): Promise<RowCounts>;
  /** The database's settings, comment and privileges, which the dump leaves out. */
  databaseProperties(): Promise<DatabaseProperties>;
  /** The schema inventory in the dump's snapshot, digests keyed with `digestKey`; sequence values left out. */
  inventory(digestKey: string): Promise<Inventory>;
  readonly databaseBytes: number;
  close(): Promise<void>;
}

/**
 * Opens the session on its own connection. The work runs inside `withClient`, which closes the connection when
 * `use` settles, so the session lives exactly as long as the backup.
 */
export async function withSnapshotSession<T>(
  target: ConnectionTarget,
  use: (session: SnapshotSession) => Promise<T>,
): Promise<T> {
  return withClient(target, target.hosts[0]!, async (client) => {
    await client.query('SET statement_timeout = 0');
    await client.query('SET idle_in_transaction_session_timeout = 0').catch(() => undefined);
    // As pg_dump does: a row-level security policy's function (anyone's code) never runs as the backup's role;
    // a table whose policy would apply fails the count with PostgreSQL's own error instead.
    await client.query('SET row_security = off');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let snapshotId: string | undefined;
    let unsharedReason: string | undefined;
    try {
      // Not in a savepoint: a snapshot cannot be exported from a subtransaction.
      const result = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      snapshotId = result.rows[0]!.id;
    } catch (error) {
      unsharedReason = `the server could not export a snapshot (${errorMessage(error)})`;
      await client.query('ROLLBACK');
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    }
    const size = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database()) AS bytes',
    );
    const session: SnapshotSession = {
      snapshotId,
      unsharedReason,
      databaseBytes: Number(size.rows[0]!.bytes),
      countRows: (contents, mode) => countRows(client, contents, mode),
      databaseProperties: () => inSavepoint(client, () => readDatabaseProperties(client)),
      inventory: (digestKey) =>
        inSavepoint(client, () => collectInventory(client, { sequenceValues: 'omit', digestKey })),
      close: async () => {
        await client.query('COMMIT');
      },
    };
    return use(session);
  });
}

/**
 * Runs `read` in a savepoint, so a catalog the provider hides fails only `read`, not the backup's transaction.
 * Nothing else may use the session meanwhile: call it before the dump's row counts start.
 */
async function inSavepoint<T>(client: pg.Client, read: () => Promise<T>): Promise<T> {
  await client.query('SAVEPOINT read_catalog');
  try {
    const result = await read();
    await client.query('RELEASE SAVEPOINT read_catalog');
    return result;
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT read_catalog');
    throw error;
  }
}

interface TableRow {
  oid: number;
  schema: string;
  table: string;
  estimate: number;
}

async function countRows(client: pg.Client, contents: DumpContents, mode: RowCountMode): Promise<RowCounts> {
  if (mode === 'off') return { tables: [] };
  // Every ordinary user table (extension members only when their data is dumped); those without a TABLE DATA
  // entry are the ones pg-dump-args left out.
  const { rows } = await client.query<TableRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.reltuples::float8 AS estimate
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND (c.oid = ANY($1::oid[]) OR NOT EXISTS (
              SELECT 1 FROM pg_depend d
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))
      ORDER BY n.nspname, c.relname`,
    [contents.tableOids],
  );
  const inDump = new Set(contents.tableOids);
  const tables: TableRowCount[] = [];
  for (const row of rows) {
    if (!inDump.has(row.oid)) {
      tables.push({ schema: row.schema, table: row.table, rows: null, excluded: true });
    } else if (mode === 'estimate') {
      tables.push({
        schema: row.schema,
        table: row.table,
        rows: row.estimate < 0 ? null : Math.round(row.estimate),
      });
    } else {
      const counted = await client.query<{ rows: string }>(
        `SELECT count(*) AS rows FROM ONLY ${quoteIdent(row.schema)}.${quoteIdent(row.table)}`,
      );
      tables.push({ schema: row.schema, table: row.table, rows: Number(counted.rows[0]!.rows) });
    }
  }
  if (!contents.hasLargeObjects || mode !== 'exact') return { tables };
  const lo = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata');
  return { tables, largeObjects: Number(lo.rows[0]!.n) };
}
