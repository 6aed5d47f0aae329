/**
 * Backup throughput against bare pg_dump, in one process tree:
 *   npx tsx bench/backup-throughput.ts [--size-mb 500] [--runs 3]
 * Generates a deterministic dataset in a PostgreSQL 17 server, then alternates bare `pg_dump -Fc` (same
 * compression) to /dev/null with the bundled action's backup into a local Ceph S3 server, and reports medians,
 * the ratio, and the action's peak RSS.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateIdentity } from '../src/age/index.js';
import { ensureWrappedClient, seedToolCache } from '../test/support/client-wrappers.js';
import { pgEnvironment, sql } from '../test/support/dataset.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres-server.js';
import { startS3 } from '../test/support/s3-server.js';
import { ensureSystemPackages } from '../test/support/system-packages.js';
import { S3_SERVER_COMMANDS } from '../test/support/s3-server.js';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '..');

const { values } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '500' }, runs: { type: 'string', default: '3' } },
});
const sizeMb = Number(values['size-mb']);
const runs = Number(values.runs);

/** Rows of ~1 KB that compress about 3–5×: text, jsonb, numeric, timestamps, bytea. */
async function generate(server: TestPostgres, targetMb: number): Promise<number> {
  const client = new pg.Client({ connectionString: server.url({ params: { sslmode: 'disable' } }) });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE events (
        id bigint PRIMARY KEY, account int, kind text, amount numeric(14, 2), at timestamptz,
        payload jsonb, body text, blob bytea);
      CREATE INDEX events_account ON events (account, at);`);
    const batch = 100_000;
    let rows = 0;
    for (;;) {
      const size = await client.query<{ mb: string }>(
        'SELECT pg_database_size(current_database()) / 1048576 AS mb',
      );
      if (Number(size.rows[0]!.mb) >= targetMb) break;
      await client.query(
        `INSERT INTO events
         SELECT g, g % 5000, (ARRAY['order','refund','login','signup','invoice'])[1 + g % 5], (g % 100000) / 7.0,
                timestamptz '2024-01-01' + g * interval '7 seconds',
                jsonb_build_object('ip', '10.0.' || (g % 250) || '.' || (g % 200), 'agent', 'client/' || (g % 40),
                                   'tags', jsonb_build_array('t' || (g % 13), 't' || (g % 7))),
                repeat(md5((g % 20000)::text), 8) || ' note ' || md5(g::text),
                decode(md5(g::text) || md5((g * 7)::text) || repeat('00', 64), 'hex')
         FROM generate_series($1::bigint + 1, $1::bigint + $2) g`,
        [rows, batch],
      );
      rows += batch;
    }
    await client.query('VACUUM ANALYZE events');
    const size = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database()) AS bytes',
    );
    return Number(size.rows[0]!.bytes);
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeBarePgDump(server: TestPostgres, binDir: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(binDir, 'pg_dump'), ['-Fc', '--compress=zstd:3', 'app'], {
      env: {
        ...process.env,
        PGHOST: server.host,
        PGPORT: String(server.port),
        PGUSER: server.user,
        PGPASSWORD: server.password,
      },
      stdio: ['ignore', 'ignore', 'inherit'], // stdout to /dev/null
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`pg_dump exited ${code}`));
    });
  });
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  await ensureSystemPackages([...S3_SERVER_COMMANDS]);
  const scratch = await mkdtemp(join(tmpdir(), 'bench-'));
  const [server, s3] = await Promise.all([startPostgres(17), startS3()]);
  try {
    const client = await ensureWrappedClient(17);
    const toolCache = join(scratch, 'tool-cache');
    await seedToolCache(toolCache, 17);
    console.log(`Generating ~${sizeMb} MB…`);
    const bytes = await generate(server, sizeMb);
    console.log(`Database size ${(bytes / 1048576).toFixed(0)} MiB`);
    const bucket = await s3.createBucket('bench');
    const recorder = join(scratch, 'record-rss.mjs');
    await writeFile(
      recorder,
      "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n",
    );
    const key = generateIdentity();
    const bare: number[] = [];
    const ours: number[] = [];
    const rss: number[] = [];
    let stored = 0;
    for (let run = 0; run < runs; run++) {
      bare.push(await timeBarePgDump(server, join(client.dir, 'bin')));
      const output = join(scratch, `output-${run}`);
      const rssFile = join(scratch, `rss-${run}`);
      await writeFile(output, '');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        RUNNER_TOOL_CACHE: toolCache,
        RUNNER_TEMP: scratch,
        GITHUB_OUTPUT: output,
        RSS_FILE: rssFile,
        NODE_OPTIONS: `--import=${recorder}`,
        'INPUT_DATABASE-URL': server.url(),
        INPUT_BUCKET: bucket,
        INPUT_ENDPOINT: s3.endpoint,
        INPUT_REGION: s3.region,
        'INPUT_ACCESS-KEY-ID': s3.accessKeyId,
        'INPUT_SECRET-ACCESS-KEY': s3.secretAccessKey,
        'INPUT_AGE-RECIPIENTS': key.recipient,
        INPUT_PREFIX: `run-${run}`,
      };
      const started = performance.now();
      await execFileAsync(process.execPath, [join(repo, 'dist', 'index.js')], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      });
      ours.push((performance.now() - started) / 1000);
      rss.push(Number(await readFile(rssFile, 'utf8')) / 1024);
      const sizeLine = /^size-bytes<<(\S+)\n(\d+)\n/m.exec(await readFile(output, 'utf8'));
      stored = Number(sizeLine?.[2] ?? 0);
      console.log(
        `run ${run + 1}: bare pg_dump ${bare.at(-1)!.toFixed(2)} s, action ${ours.at(-1)!.toFixed(2)} s`,
      );
    }
    const a = median(bare);
    const c = median(ours);
    console.log('\n| what | median s | MB/s of database |\n|---|---|---|');
    console.log(
      `| bare pg_dump -Fc --compress=zstd:3 > /dev/null | ${a.toFixed(2)} | ${(bytes / 1048576 / a).toFixed(0)} |`,
    );
    console.log(
      `| action backup (age + SHA-256 + multipart to Ceph S3) | ${c.toFixed(2)} | ${(bytes / 1048576 / c).toFixed(0)} |`,
    );
    console.log(
      `\nratio action/bare: ${(c / a).toFixed(3)}; stored ${(stored / 1048576).toFixed(1)} MiB; action peak RSS ${Math.max(...rss).toFixed(0)} MiB (median ${median(rss).toFixed(0)})`,
    );

    // Restore: bare pg_restore of the same dump from a local file into a fresh database, against the drill.
    const dumpFile = join(scratch, 'bench.dump');
    await execFileAsync(
      'sh',
      ['-c', `"${join(client.dir, 'bin', 'pg_dump')}" -Fc --compress=zstd:3 app > "${dumpFile}"`],
      {
        env: pgEnvironment(server),
      },
    );
    const bareRestore: number[] = [];
    const drill: number[] = [];
    for (let run = 0; run < runs; run++) {
      await sql(server, 'app', `CREATE DATABASE bare_${run}`);
      let started = performance.now();
      await execFileAsync(
        join(client.dir, 'bin', 'pg_restore'),
        ['--no-owner', '--no-privileges', '-d', `bare_${run}`, dumpFile],
        {
          env: pgEnvironment(server),
        },
      );
      bareRestore.push((performance.now() - started) / 1000);
      await sql(server, 'app', `CREATE DATABASE drill_${run}`);
      const output = join(scratch, `drill-output-${run}`);
      await writeFile(output, '');
      started = performance.now();
      await execFileAsync(process.execPath, [join(repo, 'dist', 'index.js')], {
        env: {
          ...process.env,
          RUNNER_TOOL_CACHE: toolCache,
          RUNNER_TEMP: scratch,
          GITHUB_OUTPUT: output,
          INPUT_MODE: 'drill',
          'INPUT_TARGET-URL': server.url({ database: `drill_${run}` }),
          INPUT_BUCKET: bucket,
          INPUT_ENDPOINT: s3.endpoint,
          INPUT_REGION: s3.region,
          'INPUT_ACCESS-KEY-ID': s3.accessKeyId,
          'INPUT_SECRET-ACCESS-KEY': s3.secretAccessKey,
          'INPUT_AGE-IDENTITY': key.identity,
          INPUT_PREFIX: 'run-0',
        },
        maxBuffer: 64 * 1024 * 1024,
      });
      drill.push((performance.now() - started) / 1000);
      const restoreLine = /^restore-seconds<<(\S+)\n([\d.]+)\n/m.exec(await readFile(output, 'utf8'));
      console.log(
        `restore run ${run + 1}: bare pg_restore ${bareRestore.at(-1)!.toFixed(2)} s, drill ${drill.at(-1)!.toFixed(2)} s (restore-seconds ${restoreLine?.[2] ?? '?'})`,
      );
    }
    const d = median(bareRestore);
    const e = median(drill);
    console.log(
      `\n| bare pg_restore from a local file | ${d.toFixed(2)} s |\n| drill (download, verify, decrypt, restore, count) | ${e.toFixed(2)} s |`,
    );
    console.log(`ratio drill/bare restore: ${(e / d).toFixed(3)}`);
  } finally {
    await Promise.all([server.stop(), s3.stop()]);
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
