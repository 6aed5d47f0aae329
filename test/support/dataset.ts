import pg from 'pg';
import type { TestPostgres } from './postgres-server.js';

export interface SeededTable {
  readonly schema: string;
  readonly table: string;
  readonly rows: number;
}

/**
 * A small realistic dataset: orders with text, numeric, timestamps and jsonb; a bytea table; two large objects;
 * a table in a second schema with an awkward name; and an audit log the tests leave out of the dump's data.
 */
export async function seedDataset(server: TestPostgres, database = 'app', scale = 1): Promise<SeededTable[]> {
  const orders = 2000 * scale;
  const client = new pg.Client({
    connectionString: server.url({ database, params: { sslmode: 'disable' } }),
  });
  await client.connect();
  try {
    await client.query(`
      CREATE SCHEMA billing;
      CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL);
      INSERT INTO customers (email, created_at)
        SELECT 'user' || g || '@example.com', timestamptz '2024-01-01' + g * interval '1 hour'
        FROM generate_series(1, 300) g;
      CREATE TABLE orders (
        id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(12, 2),
        placed_at timestamptz, items jsonb, note text);
      INSERT INTO orders (customer_id, total, placed_at, items, note)
        SELECT 1 + g % 300, (g % 997) * 1.25, timestamptz '2025-01-01' + g * interval '1 minute',
               jsonb_build_object('sku', 'SKU-' || g % 50, 'qty', 1 + g % 5), md5(g::text)
        FROM generate_series(1, ${orders}) g;
      CREATE INDEX orders_customer ON orders (customer_id);
      CREATE TABLE attachments (id int PRIMARY KEY, body bytea NOT NULL);
      INSERT INTO attachments SELECT g, decode(repeat(md5(g::text), 40), 'hex') FROM generate_series(1, 120) g;
      CREATE TABLE billing."Invoice Lines" (id int, amount numeric);
      INSERT INTO billing."Invoice Lines" SELECT g, g * 0.5 FROM generate_series(1, 77) g;
      CREATE TABLE audit_log (id bigserial, event text);
      INSERT INTO audit_log (event) SELECT 'event ' || g FROM generate_series(1, 500) g;
      CREATE TABLE empty_table (id int);
      SELECT lo_from_bytea(0, 'first large object'), lo_from_bytea(0, decode(repeat('ab', 5000), 'hex'));
    `);
  } finally {
    await client.end();
  }
  return [
    { schema: 'billing', table: 'Invoice Lines', rows: 77 },
    { schema: 'public', table: 'attachments', rows: 120 },
    { schema: 'public', table: 'audit_log', rows: 500 },
    { schema: 'public', table: 'customers', rows: 300 },
    { schema: 'public', table: 'empty_table', rows: 0 },
    { schema: 'public', table: 'orders', rows: orders },
  ];
}

/** Row counts of every user table, as `schema.table → rows`. */
export async function countRows(server: TestPostgres, database: string): Promise<Map<string, number>> {
  const client = new pg.Client({
    connectionString: server.url({ database, params: { sslmode: 'disable' } }),
  });
  await client.connect();
  try {
    const tables = await client.query<{ schema: string; table: string }>(
      `SELECT schemaname AS schema, tablename AS table FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    const counts = new Map<string, number>();
    for (const { schema, table } of tables.rows) {
      const ident = `"${schema.replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`;
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident}`);
      counts.set(`${schema}.${table}`, Number(result.rows[0]!.n));
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** Runs SQL on a database of the server. */
export async function sql(server: TestPostgres, database: string, text: string): Promise<pg.QueryResult[]> {
  const client = new pg.Client({
    connectionString: server.url({ database, params: { sslmode: 'disable' } }),
  });
  await client.connect();
  try {
    const result = (await client.query(text)) as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(result) ? result : [result];
  } finally {
    await client.end();
  }
}

/** The libpq environment of a test server, for running the real client programs against it. */
export function pgEnvironment(server: TestPostgres): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.user,
    PGPASSWORD: server.password,
  };
}
