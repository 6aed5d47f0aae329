import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startPostgres,
  TEST_MAJORS,
  type StartOptions,
  type TestMajor,
  type TestPostgres,
} from './support/postgres-server.js';

const started: TestPostgres[] = [];

// Two cores: servers start two at a time (initdb is the CPU-heavy part); the tests themselves run concurrently.
const lanes = [Promise.resolve(), Promise.resolve()];
let nextLane = 0;
async function start(major: TestMajor, options?: StartOptions): Promise<TestPostgres> {
  const lane = nextLane++ % lanes.length;
  const starting = lanes[lane]!.then(() => startPostgres(major, options));
  lanes[lane] = starting.then(
    () => undefined,
    () => undefined,
  );
  const server = await starting;
  started.push(server);
  return server;
}

afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
});

/** Runs one query on a fresh connection and returns its first row. */
async function queryOne<Row extends pg.QueryResultRow>(config: pg.ClientConfig, sql: string): Promise<Row> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const { rows } = await client.query<Row>(sql);
    return rows[0]!;
  } finally {
    await client.end();
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.concurrent('startPostgres', () => {
  it.each(TEST_MAJORS)('runs Postgres %i and accepts its percent-encoded URL', async (major) => {
    const server = await start(major);
    expect(server.password).toMatch(/^p@ss:w\/rd\?#%&[A-Za-z0-9]{12}$/);
    expect(server.url()).not.toContain(server.password);

    const row = await queryOne<{ user: string; database: string; num: number }>(
      { connectionString: server.url() },
      "SELECT current_user AS user, current_database() AS database, current_setting('server_version_num')::int AS num",
    );
    expect(row).toEqual({ user: server.user, database: 'app', num: server.versionNum });
    expect(server.versionNum).toBeGreaterThanOrEqual(major * 10_000);
    expect(server.versionNum).toBeLessThan((major + 1) * 10_000);
    expect(server.version.startsWith(`${major}.`)).toBe(true);
    await server.stop();
  });

  it('accepts connections over the unix socket directory', async () => {
    const server = await start(18);
    const row = await queryOne<{ addr: string | null }>(
      { connectionString: server.url({ host: server.socketDir }) },
      'SELECT inet_server_addr() AS addr',
    );
    expect(row.addr).toBeNull();
    await server.stop();
  });

  it('listens on [::1] when asked for IPv6', async () => {
    const server = await start(17, { ipv6: true });
    const row = await queryOne<{ addr: string }>(
      { connectionString: server.url({ host: '::1' }) },
      'SELECT host(inet_server_addr()) AS addr',
    );
    expect(row.addr).toBe('::1');
    await server.stop();
  });

  it('serves TLS with a self-signed certificate when asked for ssl', async () => {
    const server = await start(16, { ssl: true });
    const { host, port, user, password, database } = server;
    const row = await queryOne<{ ssl: boolean }>(
      { host, port, user, password, database, ssl: { rejectUnauthorized: false } },
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(row.ssl).toBe(true);
    await server.stop();
  });

  it('stop() ends the postmaster and removes the temp dir, and can be called twice', async () => {
    const server = await start(15);
    const { dataDir } = await queryOne<{ dataDir: string }>(
      { connectionString: server.url() },
      'SELECT current_setting(\'data_directory\') AS "dataDir"',
    );
    const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
    const pid = Number(pidFile.split('\n')[0]);
    expect(processExists(pid)).toBe(true);

    await server.stop();
    await server.stop();
    expect(processExists(pid)).toBe(false);
    expect(existsSync(dirname(dataDir))).toBe(false);
    expect(existsSync(server.socketDir)).toBe(false);
  });
});
