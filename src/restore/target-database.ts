import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { withClient } from '../postgres/server-version.js';
import { quoteIdent } from '../shared/sql.js';

export interface TargetState {
  /** User tables, views, sequences and extensions (other than plpgsql) found in the target database. */
  readonly objects: number;
}

/** Runs `work` on one connection to the target (first host that answers, with the URL's sslmode). */
export function onTarget<T>(target: ConnectionTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(target, target.hosts[0]!, work);
}

/** How much the target database already holds: a restore needs an empty one. */
export async function inspectTarget(client: pg.Client): Promise<TargetState> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
          + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql') AS n`,
  );
  return { objects: Number(rows[0]!.n) };
}

/** Creates an empty database for a drill next to a non-empty target, and returns its name. */
export async function createDrillDatabase(client: pg.Client, createdAt: Date): Promise<string> {
  // The time says when; the random suffix keeps two drills in the same second apart.
  const name = `drill_${createdAt.toISOString().replace(/\D/g, '').slice(0, 14)}_${randomBytes(2).toString('hex')}`;
  await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  return name;
}

/** Rows in every user table of the database, keyed `schema.table`. */
export async function countAllRows(client: pg.Client): Promise<Map<string, number>> {
  // A restored policy's function is the backup's code: it never runs to count (a policy that would apply errors).
  await client.query('SET row_security = off');
  const tables = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  const counts = new Map<string, number>();
  for (const { schema, table } of tables.rows) {
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ONLY ${quoteIdent(schema)}.${quoteIdent(table)}`,
    );
    counts.set(tableKey(schema, table), Number(result.rows[0]!.n));
  }
  return counts;
}

export async function countLargeObjects(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata');
  return Number(rows[0]!.n);
}

export function tableKey(schema: string, table: string): string {
  return `${schema}.${table}`;
}
