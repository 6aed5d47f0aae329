import type pg from 'pg';

/**
 * Prefixes every query the migration analysis runs on the target, so that pg_stat_statements (which keeps leading
 * comments) can tell them from the migration's own statements.
 */
export const ANALYSIS_QUERY_TAG = '/* postgres-backup-action: migration analysis */';

export interface SlowStatement {
  /** Whitespace collapsed, at most QUERY_MAX_CHARS characters. */
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

export type StatementStats =
  | { readonly available: true; readonly slowest: SlowStatement[] }
  | { readonly available: false; readonly reason: string };

const QUERY_MAX_CHARS = 200;

/** Where pg_stat_statements lives in the database, and which names its timing columns have. */
interface StatsView {
  /** The extension's schema, quoted. */
  readonly schema: string;
  /** `total_exec_time`/`mean_exec_time` (extension 1.8+, PostgreSQL 13+) or `total_time`/`mean_time`. */
  readonly totalColumn: string;
  readonly meanColumn: string;
}

/**
 * When the pg_stat_statements extension is installed in the database and its library is preloaded, resets its
 * statistics (so that they cover only what runs next) and returns true.
 */
export async function prepareStatementStats(client: pg.Client): Promise<boolean> {
  const view = await findStatsView(client);
  if (!view || !(await isPreloaded(client))) return false;
  try {
    await client.query(`${ANALYSIS_QUERY_TAG} SELECT ${view.schema}.pg_stat_statements_reset()`);
    return true;
  } catch {
    return false;
  }
}

/** The `limit` statements of the current database with the most total execution time since the reset. */
export async function slowestStatements(
  client: pg.Client,
  prepared: boolean,
  limit = 5,
): Promise<StatementStats> {
  const view = await findStatsView(client);
  if (!prepared || !view) return { available: false, reason: await unavailableReason(client, view) };
  const { rows } = await client.query<{ query: string; calls: string; total_ms: number; mean_ms: number }>(
    `${ANALYSIS_QUERY_TAG}
     SELECT query, calls, ${view.totalColumn} AS total_ms, ${view.meanColumn} AS mean_ms
       FROM ${view.schema}.pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND position($1 IN query) = 0
      ORDER BY ${view.totalColumn} DESC, query
      LIMIT $2`,
    [ANALYSIS_QUERY_TAG, limit],
  );
  const slowest = rows.map((row) => ({
    query: shortenQuery(row.query),
    calls: Number(row.calls),
    totalMs: row.total_ms,
    meanMs: row.mean_ms,
  }));
  return { available: true, slowest };
}

/** Collapses whitespace and cuts the text to QUERY_MAX_CHARS characters, ending with `…` when cut. */
function shortenQuery(query: string): string {
  const collapsed = query.replace(/\s+/g, ' ').trim();
  return collapsed.length <= QUERY_MAX_CHARS ? collapsed : `${collapsed.slice(0, QUERY_MAX_CHARS - 1)}…`;
}

async function findStatsView(client: pg.Client): Promise<StatsView | undefined> {
  const { rows } = await client.query<{ schema: string; exec_time: boolean }>(
    `${ANALYSIS_QUERY_TAG}
     SELECT quote_ident(n.nspname) AS schema,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'total_exec_time')
              AS exec_time
       FROM pg_extension e
       JOIN pg_namespace n ON n.oid = e.extnamespace
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'pg_stat_statements'
      WHERE e.extname = 'pg_stat_statements'`,
  );
  const row = rows[0];
  if (!row) return undefined;
  const prefix = row.exec_time ? 'exec_time' : 'time';
  return { schema: row.schema, totalColumn: `total_${prefix}`, meanColumn: `mean_${prefix}` };
}

async function isPreloaded(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ libraries: string }>(
    `${ANALYSIS_QUERY_TAG} SELECT current_setting('shared_preload_libraries') AS libraries`,
  );
  return rows[0]!.libraries
    .split(',')
    .some((name) => name.trim().replace(/^"|"$/g, '') === 'pg_stat_statements');
}

async function unavailableReason(client: pg.Client, view: StatsView | undefined): Promise<string> {
  const preloaded = await isPreloaded(client);
  if (!preloaded && !view) {
    return 'pg_stat_statements is not installed on the target (add it to shared_preload_libraries and CREATE EXTENSION pg_stat_statements to see the slowest statements)';
  }
  if (!preloaded) {
    return 'pg_stat_statements is installed in the target database but not loaded (add it to shared_preload_libraries and restart the server to see the slowest statements)';
  }
  if (!view) {
    return 'pg_stat_statements is loaded but not installed in the target database (CREATE EXTENSION pg_stat_statements to see the slowest statements)';
  }
  return 'pg_stat_statements could not be reset before the migration (connect as a superuser, or GRANT EXECUTE ON FUNCTION pg_stat_statements_reset to the user, to see the slowest statements)';
}
