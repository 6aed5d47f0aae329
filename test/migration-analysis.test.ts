import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLock, type HeldLock, startLockSampler } from '../src/migrate/lock-sampler.js';
import { diffSchemas, snapshotSchema } from '../src/migrate/schema-diff.js';
import { schemaDump } from '../src/migrate/schema-dump.js';
import { unifiedDiff } from '../src/migrate/unified-diff.js';
import { prepareStatementStats, slowestStatements } from '../src/migrate/statement-stats.js';
import { type ConnectionTarget, parseConnectionUrl } from '../src/postgres/connection-url.js';
import { withClient } from '../src/postgres/server-version.js';
import { ensureWrappedClient } from './support/client-wrappers.js';
import { pgEnvironment, sql } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';

const execFileAsync = promisify(execFile);

/** About 130 bytes a row: big enough that rewriting the table takes well over 0.3 s. */
const ORDER_ROWS = 500_000;

function targetOf(
  server: TestPostgres,
  database: string,
  params: Record<string, string> = {},
): ConnectionTarget {
  return parseConnectionUrl(server.url({ database, params: { sslmode: 'disable', ...params } }), {
    user: 'unused',
    socketDir: '/nonexistent',
  });
}

/** Runs a migration the way a PR check does: psql (the test bed's own client), stopping at the first error. */
async function migrate(server: TestPostgres, database: string, ...statements: string[]): Promise<void> {
  const commands = statements.flatMap((statement) => ['-c', statement]);
  const psql = join((await ensureWrappedClient(17)).dir, 'bin', 'psql');
  await execFileAsync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, ...commands], {
    env: pgEnvironment(server),
  });
}

async function withDatabase<T>(
  target: ConnectionTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  return withClient(target, target.hosts[0]!, work);
}

/** The sampler's default interval. */
const SAMPLE_SECONDS = 0.1;
/** Node's timers round to whole milliseconds, so a tick can come up to a millisecond early, once per interval. */
const TIMER_SLACK_SECONDS = 0.005;

/**
 * Waits, while `holder`'s transaction holds its locks, until the sampler connected as `applicationName` has
 * finished `count` samples that started after those locks were taken: whatever the machine's load, the sampler
 * has then seen them that many times. Watched from a connection of its own (a transaction sees a frozen
 * pg_stat_activity); a sample is done once the next one has started.
 */
async function untilSamplesDone(
  server: TestPostgres,
  applicationName: string,
  holder: pg.Client,
  count: number,
): Promise<void> {
  const [{ taken }] = (await holder.query<{ taken: string }>('SELECT clock_timestamp()::text AS taken'))
    .rows as [{ taken: string }];
  const starts = new Set<string>();
  await withDatabase(targetOf(server, 'app'), async (watcher) => {
    while (starts.size <= count) {
      const { rows } = await watcher.query<{ started: string }>(
        `SELECT query_start::text AS started FROM pg_stat_activity
          WHERE application_name = $1 AND query_start > $2::timestamptz`,
        [applicationName, taken],
      );
      for (const row of rows) starts.add(row.started);
      await delay(10);
    }
  });
}

function locksOn(locks: readonly HeldLock[], table: string, mode?: string): HeldLock[] {
  return locks.filter((lock) => lock.table === table && (mode === undefined || lock.mode === mode));
}

describe('migration analysis against PostgreSQL 17', () => {
  let server: TestPostgres;
  let app: ConnectionTarget;

  beforeAll(async () => {
    server = await startPostgres(17);
    app = targetOf(server, 'app');
    await sql(
      server,
      'app',
      `CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, total numeric(12, 2), note text);
       INSERT INTO orders (customer_id, total, note)
         SELECT g % 1000, g * 0.01, repeat(md5(g::text), 3) FROM generate_series(1, ${ORDER_ROWS}) g`,
    );
    // Settles hint bits and keeps autovacuum from starting on the table in the middle of a test.
    await sql(server, 'app', 'VACUUM ANALYZE orders');
  });
  afterAll(async () => {
    await (server as TestPostgres | undefined)?.stop();
  });

  /** Runs the migration with a sampler watching; returns what it saw and how long psql took. */
  async function sampleDuring(...statements: string[]): Promise<{ locks: HeldLock[]; ms: number }> {
    const sampler = await startLockSampler(app);
    const started = performance.now();
    try {
      await migrate(server, 'app', ...statements);
    } catch (error) {
      await sampler.stop();
      throw error;
    }
    const ms = performance.now() - started;
    return { locks: await sampler.stop(), ms };
  }

  describe('lock sampler', () => {
    it('sees the ACCESS EXCLUSIVE lock of a table rewrite (a volatile default)', async () => {
      const { locks, ms } = await sampleDuring('ALTER TABLE orders ADD COLUMN r float8 DEFAULT random()');
      const [rewrite] = locksOn(locks, 'public.orders', 'ACCESS EXCLUSIVE');
      expect(rewrite).toBeDefined();
      console.log(
        `rewrite: ${formatLock(rewrite!, ORDER_ROWS)} (${rewrite!.seconds} s; psql ran ${Math.round(ms)} ms)`,
      );
      expect(rewrite!.seconds).toBeGreaterThanOrEqual(0.3);
      expect(rewrite!.seconds).toBeLessThanOrEqual(ms / 1000 + 0.1);
    });

    it('sees the SHARE lock of CREATE INDEX', async () => {
      const { locks, ms } = await sampleDuring('CREATE INDEX orders_note ON orders (note)');
      const [build] = locksOn(locks, 'public.orders', 'SHARE');
      expect(build).toBeDefined();
      console.log(
        `index build: ${formatLock(build!, ORDER_ROWS)} (${build!.seconds} s; psql ran ${Math.round(ms)} ms)`,
      );
      expect(build!.seconds).toBeGreaterThan(0);
      expect(locksOn(locks, 'public.orders', 'ACCESS EXCLUSIVE')).toEqual([]);
    });

    it('sees no long lock for a harmless migration', async () => {
      const { locks } = await sampleDuring(
        'CREATE TABLE audit_new (id int)',
        'ALTER TABLE orders ADD COLUMN maybe text',
      );
      console.log('harmless migration:', locks.map((lock) => formatLock(lock)).join('; ') || 'no locks seen');
      expect(locksOn(locks, 'public.orders').filter((lock) => lock.seconds >= 0.3)).toEqual([]);
    });

    it('measures a lock held while it sampled, and ignores weaker modes and its own session', async () => {
      const sampler = await startLockSampler(targetOf(server, 'app', { application_name: 'timed-sampler' }));
      let heldMs = 0;
      await withDatabase(app, async (client) => {
        await client.query('BEGIN');
        const taken = performance.now();
        await client.query('LOCK TABLE orders IN EXCLUSIVE MODE');
        await client.query('LOCK TABLE audit_new IN ROW EXCLUSIVE MODE');
        await untilSamplesDone(server, 'timed-sampler', client, 3);
        await client.query('COMMIT');
        heldMs = performance.now() - taken;
      });
      const locks = await sampler.stop();
      expect(locks.map(({ table, mode }) => ({ table, mode }))).toEqual([
        { table: 'public.orders', mode: 'EXCLUSIVE' },
      ]);
      // Three samples at least one interval apart saw it; it cannot have been seen for longer than it was held.
      expect(locks[0]!.seconds).toBeGreaterThanOrEqual(3 * SAMPLE_SECONDS - TIMER_SLACK_SECONDS);
      expect(locks[0]!.seconds).toBeLessThanOrEqual(heldMs / 1000 + SAMPLE_SECONDS);
    });

    it('ends quietly when its connection is lost, keeping what it saw', async () => {
      const sampler = await startLockSampler(targetOf(server, 'app', { application_name: 'doomed-sampler' }));
      let untilTerminatedMs = 0;
      await withDatabase(app, async (client) => {
        await client.query('BEGIN');
        const taken = performance.now();
        await client.query('LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE');
        await untilSamplesDone(server, 'doomed-sampler', client, 2);
        await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'doomed-sampler'",
        );
        untilTerminatedMs = performance.now() - taken;
        await delay(600);
        await client.query('COMMIT');
      });
      const locks = await sampler.stop();
      const [held] = locksOn(locks, 'public.orders', 'SHARE ROW EXCLUSIVE');
      // Seen until the sampler's connection died, not for the 600 ms the lock was held after that.
      expect(held!.seconds).toBeGreaterThanOrEqual(2 * SAMPLE_SECONDS - TIMER_SLACK_SECONDS);
      expect(held!.seconds).toBeLessThanOrEqual(untilTerminatedMs / 1000 + SAMPLE_SECONDS);
    });

    it('formats a lock for the report', () => {
      const lock = { table: 'public.orders', mode: 'ACCESS EXCLUSIVE', seconds: 9.81, firstSeenAt: 120 };
      expect(formatLock(lock, 3_200_000)).toBe(
        'held ACCESS EXCLUSIVE on public.orders (3,200,000 rows) for 9.8 s',
      );
      expect(formatLock(lock)).toBe('held ACCESS EXCLUSIVE on public.orders for 9.8 s');
    });
  });

  describe('schema diff', () => {
    let target: ConnectionTarget;

    beforeAll(async () => {
      await sql(server, 'postgres', 'CREATE DATABASE diffdb');
      target = targetOf(server, 'diffdb');
      await sql(
        server,
        'diffdb',
        `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12, 2), note text);
         CREATE INDEX orders_note ON orders (note);
         CREATE TABLE legacy (id int);
         CREATE SCHEMA billing;
         CREATE TABLE billing."Invoice Lines" (id int);`,
      );
    });

    const MIGRATION = [
      'ALTER TABLE orders ADD COLUMN placed_at timestamptz NOT NULL DEFAULT now()',
      'ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)',
      'ALTER TABLE orders ALTER COLUMN note SET NOT NULL',
      'DROP INDEX orders_note',
      'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0)',
      'CREATE TABLE refunds (id int PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders)',
      'DROP TABLE legacy',
      'ALTER TABLE billing."Invoice Lines" ADD COLUMN amount numeric DEFAULT 0',
    ];

    it('lists the catalog changes of a migration, and its pg_dump diff', async () => {
      const pgDump = join((await ensureWrappedClient(17)).dir, 'bin', 'pg_dump');
      const before = await withDatabase(target, snapshotSchema);
      const dumpBefore = await schemaDump(pgDump, target);
      expect(diffSchemas(before, await withDatabase(target, snapshotSchema))).toEqual([]);

      await migrate(server, 'diffdb', ...MIGRATION);
      const after = await withDatabase(target, snapshotSchema);
      const dumpAfter = await schemaDump(pgDump, target);

      expect(diffSchemas(before, after)).toEqual([
        { kind: 'table', change: 'dropped', name: 'public.legacy', detail: 'table (id integer)' },
        {
          kind: 'table',
          change: 'added',
          name: 'public.refunds',
          detail: 'table (id integer NOT NULL, order_id bigint NOT NULL)',
        },
        {
          kind: 'column',
          change: 'added',
          name: 'billing."Invoice Lines".amount',
          detail: 'numeric DEFAULT 0',
        },
        { kind: 'column', change: 'altered', name: 'public.orders.note', detail: 'NOT NULL added' },
        {
          kind: 'column',
          change: 'added',
          name: 'public.orders.placed_at',
          detail: 'timestamp with time zone NOT NULL DEFAULT now()',
        },
        {
          kind: 'column',
          change: 'altered',
          name: 'public.orders.total',
          detail: 'numeric(12,2) → numeric(14,2)',
        },
        {
          kind: 'index',
          change: 'dropped',
          name: 'public.orders_note',
          detail: 'CREATE INDEX orders_note ON public.orders USING btree (note)',
        },
        {
          kind: 'constraint',
          change: 'added',
          name: 'public.orders.orders_total_positive',
          detail: 'CHECK ((total > (0)::numeric))',
        },
        {
          kind: 'constraint',
          change: 'added',
          name: 'public.refunds.refunds_order_id_fkey',
          detail: 'FOREIGN KEY (order_id) REFERENCES public.orders(id)',
        },
        {
          kind: 'constraint',
          change: 'added',
          name: 'public.refunds.refunds_pkey',
          detail: 'PRIMARY KEY (id)',
        },
      ]);

      expect(dumpBefore).toContain('CREATE TABLE public.orders (');
      expect(dumpBefore).not.toMatch(/^\\(un)?restrict /m);
      expect(await unifiedDiff(dumpBefore, dumpBefore, ['before', 'after'])).toBe('');
      const diff = await unifiedDiff(dumpBefore, dumpAfter, ['schema before', 'schema after']);
      console.log(diff);
      const changed = diff.split('\n').filter((line) => /^[-+]/.test(line));
      expect(changed.slice(0, 2)).toEqual(['--- schema before', '+++ schema after']);
      expect(changed).toEqual(
        expect.arrayContaining([
          '-    total numeric(12,2),',
          '-    note text',
          '+    total numeric(14,2),',
          '+    note text NOT NULL,',
          '+    placed_at timestamp with time zone DEFAULT now() NOT NULL,',
          '+    CONSTRAINT orders_total_positive CHECK ((total > (0)::numeric))',
          '-CREATE TABLE public.legacy (',
          '+CREATE TABLE public.refunds (',
          '-CREATE INDEX orders_note ON public.orders USING btree (note);',
        ]),
      );
    });

    it('fails with pg_dump’s message when pg_dump cannot connect', async () => {
      const pgDump = join((await ensureWrappedClient(17)).dir, 'bin', 'pg_dump');
      await expect(schemaDump(pgDump, targetOf(server, 'no_such_db'))).rejects.toThrow(
        /pg_dump exited with code 1: .*database "no_such_db" does not exist/s,
      );
    });
  });

  describe('statement stats without pg_stat_statements', () => {
    it('says why they are unavailable', async () => {
      await withDatabase(app, async (client) => {
        expect(await prepareStatementStats(client)).toBe(false);
        expect(await slowestStatements(client, false)).toEqual({
          available: false,
          reason:
            'pg_stat_statements is not installed on the target (add it to shared_preload_libraries and CREATE EXTENSION pg_stat_statements to see the slowest statements)',
        });
        // The extension can be created without the library, but then it cannot collect anything.
        await client.query('CREATE EXTENSION pg_stat_statements');
        expect(await prepareStatementStats(client)).toBe(false);
        expect(await slowestStatements(client, false)).toEqual({
          available: false,
          reason:
            'pg_stat_statements is installed in the target database but not loaded (add it to shared_preload_libraries and restart the server to see the slowest statements)',
        });
      });
    });
  });
});

describe('statement stats with pg_stat_statements preloaded', () => {
  let server: TestPostgres;
  let stopRestarted: () => Promise<void>;
  let target: ConnectionTarget;

  beforeAll(async () => {
    server = await startPostgres(17);
    stopRestarted = await restartWithStatStatements(server);
    target = targetOf(server, 'app');
    await sql(server, 'app', 'CREATE EXTENSION pg_stat_statements');
  });
  afterAll(async () => {
    await stopRestarted().catch(() => undefined);
    await (server as TestPostgres | undefined)?.stop();
  });

  it('lists the slowest statements of the migration, without the analysis’ own queries', async () => {
    await withDatabase(target, async (client) => {
      expect(await prepareStatementStats(client)).toBe(true);
      const sampler = await startLockSampler(target, { intervalMs: 20 });
      const wide = Array.from({ length: 40 }, (_, i) => `g + ${i} AS c${i}`).join(', ');
      await migrate(
        server,
        'app',
        'CREATE TABLE numbers AS SELECT g FROM generate_series(1, 300000) g',
        'UPDATE numbers SET g = g + 1',
        `SELECT ${wide} FROM numbers LIMIT 1`,
        'SELECT count(*)\n     FROM   numbers\n    WHERE g > 5',
      );
      await sampler.stop();
      await withDatabase(target, snapshotSchema);

      const stats = await slowestStatements(client, true, 20);
      if (!stats.available) throw new Error(stats.reason);
      console.log(stats.slowest);
      const queries = stats.slowest.map((statement) => statement.query);
      expect(queries).toEqual(
        expect.arrayContaining([
          'CREATE TABLE numbers AS SELECT g FROM generate_series($1, $2) g',
          'UPDATE numbers SET g = g + $1',
          'SELECT count(*) FROM numbers WHERE g > $1',
        ]),
      );
      const update = stats.slowest.find((statement) => statement.query.startsWith('UPDATE'))!;
      expect(update.calls).toBe(1);
      expect(update.totalMs).toBeGreaterThan(0);
      expect(update.meanMs).toBe(update.totalMs);
      const long = queries.find((query) => query.startsWith('SELECT g + $1 AS c0'));
      expect(long).toHaveLength(200);
      expect(long!.endsWith('…')).toBe(true);
      expect(
        queries.filter((query) =>
          /pg_locks|pg_stat_statements|pg_class|set_config|BEGIN|COMMIT|search_path/.test(query),
        ),
      ).toEqual([]);
      const totals = stats.slowest.map((statement) => statement.totalMs);
      expect(totals).toEqual([...totals].sort((a, b) => b - a));
    });
  });
});

/**
 * Restarts a test server with pg_stat_statements in shared_preload_libraries, which only a restart applies. pg_ctl
 * restarts the postmaster with the command line it was started with (postmaster.opts) as the server's own user;
 * the new postmaster is pg_ctl's child, not the test support's, so the returned function stops it before
 * `server.stop()` deletes the data directory (which the support keeps beside the socket directory).
 */
async function restartWithStatStatements(server: TestPostgres): Promise<() => Promise<void>> {
  await sql(server, 'postgres', "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  const root = dirname(server.socketDir);
  const dataDir = join(root, 'data');
  const { uid, gid } = await stat(dataDir);
  const pgCtl = join(server.binDir, 'pg_ctl');
  const runPgCtl = async (...args: string[]) => {
    await execFileAsync(pgCtl, [...args, '-D', dataDir, '-m', 'fast', '-w'], { uid, gid });
  };
  await runPgCtl('restart', '-l', join(root, 'restarted.log'));
  return () => runPgCtl('stop');
}
