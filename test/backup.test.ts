import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecryptStream } from '../src/age/index.js';
import type { Globals } from '../src/shared/globals.js';
import type { Manifest } from '../src/shared/manifest.js';
import { runAction, runBundledAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { waitForChild } from './support/child-argv.js';
import { countRows, pgEnvironment, seedDataset, sql } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { expectNoSecrets } from './support/secrets.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);

let scratch: string;
let mirror: AptMirror;
let runnerEnv: Record<string, string>;
let identityFile: string;
let recipient: string;

let runner: TestRunner;

beforeAll(async () => {
  [runner, mirror] = await Promise.all([prepareTestRunner('backup-test', [17, 18]), startAptMirror()]);
  ({ scratch, identityFile, recipient } = runner);
  runnerEnv = { ...runner.env };
});
afterAll(async () => {
  await mirror.stop();
  await runner.cleanup();
});

function backupInputs(server: TestPostgres, bucket: TestBucket, extra: Record<string, string> = {}) {
  return {
    'database-url': server.url(),
    ...mirror.inputs,
    'age-recipients': recipient,
    'pg-dump-args': '--exclude-table-data=audit_log',
    ...bucket.inputs,
    ...extra,
  };
}

describe.each([15, 17, 18] as const)('backup of a PostgreSQL %i server', (major) => {
  let server: TestPostgres;
  let bucket: TestBucket;

  beforeAll(async () => {
    [server, bucket] = await Promise.all([startPostgres(major), createTestBucket()]);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('stores an encrypted dump that the age CLI opens and that restores to the manifest’s exact counts', async () => {
    const seeded = await seedDataset(server);
    const result = await runAction(backupInputs(server, bucket), runnerEnv);
    expect(result.failed, result.stdout).toBe(false);

    const { key, 'manifest-key': manifestKey } = result.outputs;
    expect(key).toMatch(/^postgres\/app\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.dump\.age$/);
    expect(manifestKey).toBe(key!.replace(/\.dump\.age$/, '.manifest.json'));
    const globalsKey = key!.replace(/\.dump\.age$/, '.globals.json.age');
    expect(await bucket.keys()).toEqual([key, globalsKey, manifestKey]);
    expect(await bucket.pendingUploads()).toEqual([]);

    const object = await bucket.get(key!);
    expect(result.outputs['size-bytes']).toBe(String(object.length));
    expect(result.outputs.sha256).toBe(createHash('sha256').update(object).digest('hex'));
    expect(result.outputs['server-version']).toBe(server.version);
    expect(result.outputs['pg-dump-version']).toMatch(new RegExp(`^${major}\\.`));

    const manifestText = (await bucket.get(manifestKey!)).toString('utf8');
    const manifest = JSON.parse(manifestText) as Manifest;
    expect(manifest).toMatchObject({
      format: 1,
      database: 'app',
      server: { version: server.version, versionNum: server.versionNum, fullVersion: server.fullVersion },
      client: { pgDump: result.outputs['pg-dump-version'] },
      dump: { format: 'custom', args: ['--exclude-table-data=audit_log'], snapshot: { shared: true } },
      encryption: { type: 'age', recipients: [recipient] },
      object: { key, sizeBytes: object.length, sha256: result.outputs.sha256 },
      rowCounts: { mode: 'exact', largeObjects: 2 },
    });
    expect(manifest.dump.compression).toBe(major >= 16 ? 'zstd:3' : '6');
    // The roles and the database's settings, encrypted like the dump: the age CLI opens them too.
    const storedGlobals = await bucket.get(globalsKey);
    expect(manifest.globals).toEqual({
      key: globalsKey,
      sizeBytes: storedGlobals.length,
      sha256: createHash('sha256').update(storedGlobals).digest('hex'),
    });
    const globalsFile = join(scratch, `${major}.globals.json.age`);
    await writeFile(globalsFile, storedGlobals);
    const { stdout: globalsJson } = await execFileAsync('age', ['-d', '-i', identityFile, globalsFile]);
    const globals = JSON.parse(globalsJson) as Globals;
    expect(globals).toMatchObject({ format: 1, warnings: [], database: { name: 'app', settings: [] } });
    expect(globals.rolesSql).toMatch(new RegExp(`^CREATE ROLE ${server.user};$`, 'm'));
    expect(globals.rolesSql).not.toMatch(/PASSWORD/);
    expect(manifest.rowCounts.tables).toEqual(
      seeded.map(({ schema, table, rows }) =>
        table === 'audit_log' ? { schema, table, rows: null, excluded: true } : { schema, table, rows },
      ),
    );
    const counted = seeded.filter((table) => table.table !== 'audit_log');
    expect(result.outputs['table-count']).toBe(String(counted.length));
    expect(result.outputs['row-count']).toBe(String(counted.reduce((sum, t) => sum + t.rows, 0)));

    // By hand, as docs/restore.md tells a person to: age -d -i key.txt … | pg_restore
    const encrypted = join(scratch, `${major}.dump.age`);
    const dump = join(scratch, `${major}.dump`);
    await writeFile(encrypted, object);
    await execFileAsync('age', ['-d', '-i', identityFile, '-o', dump, encrypted]);
    const clientBin = result.paths[0]!;
    const { stdout: listing } = await execFileAsync(join(clientBin, 'pg_restore'), ['--list', dump]);
    expect(listing).toMatch(/TABLE DATA public orders/);
    expect(listing).toMatch(/TABLE DATA public attachments/);
    expect(listing).not.toMatch(/TABLE DATA public audit_log/);

    await sql(server, 'app', 'CREATE DATABASE restored');
    await execFileAsync(
      join(clientBin, 'pg_restore'),
      ['--no-owner', '--exit-on-error', '-d', 'restored', dump],
      {
        env: pgEnvironment(server),
      },
    );
    const restored = await countRows(server, 'restored');
    for (const table of manifest.rowCounts.tables) {
      expect(restored.get(`${table.schema}.${table.table}`)).toBe(table.excluded ? 0 : table.rows);
    }
    const [lo] = await sql(server, 'restored', 'SELECT count(*)::int AS n FROM pg_largeobject_metadata');
    expect(lo!.rows[0]).toEqual({ n: 2 });

    expect(result.files).toContain(`<h2>Backup of app</h2>`);
    expect(result.files).toContain(`<code>${key!}</code>`);
    expect(result.childArgv.some((argv) => argv.includes('--format=custom'))).toBe(true);
    expectNoSecrets(result, [server.password, bucket.secretAccessKey], [manifestText]);
  });
});

describe('backup failures and other modes', () => {
  let server: TestPostgres;
  let bucket: TestBucket;

  beforeAll(async () => {
    [server, bucket] = await Promise.all([startPostgres(17), createTestBucket()]);
    await seedDataset(server, 'app', 250);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('round-trips a passphrase backup, with no passphrase in the manifest', async () => {
    const passphrase = 'correct horse battery staple 42';
    const inputs = backupInputs(server, bucket, { 'age-recipients': '', passphrase, prefix: 'pass' });
    const result = await runAction(inputs, runnerEnv);
    expect(result.failed, result.stdout).toBe(false);
    const manifestText = (await bucket.get(result.outputs['manifest-key']!)).toString('utf8');
    expect(JSON.parse(manifestText)).toMatchObject({ encryption: { type: 'passphrase' } });

    const dump = join(scratch, 'passphrase.dump');
    const encrypted = join(scratch, 'passphrase.dump.age');
    await writeFile(encrypted, await bucket.get(result.outputs.key!));
    await pipeline(createReadStream(encrypted), createDecryptStream({ passphrase }), createWriteStream(dump));
    const { stdout } = await execFileAsync(join(result.paths[0]!, 'pg_restore'), ['--list', dump]);
    expect(stdout).toMatch(/TABLE DATA public orders/);
    expectNoSecrets(result, [server.password, bucket.secretAccessKey, passphrase], [manifestText]);
  });

  it('leaves no object, no manifest and no pending upload when pg_dump is killed mid-stream', async () => {
    const prefix = 'killed';
    const running = runAction(backupInputs(server, bucket, { prefix, compression: 'none' }), runnerEnv);
    const pid = await waitForChild('pg_dump --format=custom');
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(argv).toContain('--format=custom');
    expect(argv.join(' ')).not.toContain(server.password);
    // Mid-stream: once the first part is on its way to the bucket.
    while ((await bucket.pendingUploads()).length === 0)
      await new Promise((resolve) => setTimeout(resolve, 20));
    process.kill(pid, 'SIGKILL');
    const result = await running;
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::pg_dump was killed by SIGKILL/);
    expect(await bucket.keys(prefix)).toEqual([]);
    expect(await bucket.pendingUploads()).toEqual([]);
    expect(result.outputs.key).toBeUndefined();
  });

  it('counts rows in the dump’s own snapshot while writes go on', async () => {
    const writer = new pg.Client({ connectionString: server.url({ params: { sslmode: 'disable' } }) });
    await writer.connect();
    const writing = new AbortController();
    const writes = (async () => {
      while (!writing.signal.aborted) {
        await writer.query("INSERT INTO orders (customer_id, note) VALUES (1, 'during the backup')");
      }
    })();
    const result = await runAction(backupInputs(server, bucket, { prefix: 'consistent' }), runnerEnv);
    writing.abort();
    await writes;
    await writer.end();
    expect(result.failed, result.stdout).toBe(false);

    const manifest = JSON.parse(
      (await bucket.get(result.outputs['manifest-key']!)).toString('utf8'),
    ) as Manifest;
    expect(manifest.dump.snapshot).toEqual({ shared: true });
    const encrypted = join(scratch, 'consistent.dump.age');
    const dump = join(scratch, 'consistent.dump');
    await writeFile(encrypted, await bucket.get(result.outputs.key!));
    await execFileAsync('age', ['-d', '-i', identityFile, '-o', dump, encrypted]);
    await sql(server, 'app', 'CREATE DATABASE consistent');
    await execFileAsync(join(result.paths[0]!, 'pg_restore'), ['--no-owner', '-d', 'consistent', dump], {
      env: pgEnvironment(server),
    });
    const restored = await countRows(server, 'consistent');
    const live = await countRows(server, 'app');
    const orders = manifest.rowCounts.tables.find((table) => table.table === 'orders')!;
    expect(restored.get('public.orders')).toBe(orders.rows);
    expect(live.get('public.orders')).toBeGreaterThan(orders.rows!); // the writes went on during the dump
  });

  it.each([
    ['estimate', (rows: number | null) => rows === null || rows >= 0],
    ['off', () => false],
  ] as const)('records row-counts: %s', async (mode, valid) => {
    await sql(server, 'app', 'ANALYZE');
    const result = await runAction(
      backupInputs(server, bucket, { prefix: `counts-${mode}`, 'row-counts': mode }),
      runnerEnv,
    );
    expect(result.failed, result.stdout).toBe(false);
    const manifest = JSON.parse(
      (await bucket.get(result.outputs['manifest-key']!)).toString('utf8'),
    ) as Manifest;
    expect(manifest.rowCounts.mode).toBe(mode);
    if (mode === 'off') expect(manifest.rowCounts.tables).toEqual([]);
    else {
      expect(manifest.rowCounts.tables.length).toBeGreaterThan(0);
      for (const table of manifest.rowCounts.tables) expect(valid(table.rows)).toBe(true);
      const orders = manifest.rowCounts.tables.find((table) => table.table === 'orders')!;
      expect(orders.rows).toBeGreaterThan(400_000);
    }
  });

  it('stores a plain .dump, with a warning, only when encryption is explicitly off', async () => {
    const result = await runAction(
      backupInputs(server, bucket, { prefix: 'plain', 'age-recipients': 'none' }),
      runnerEnv,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs.key).toMatch(/^plain\/app\/[\dTZ-]+\.dump$/);
    expect(result.stdout).toMatch(/::warning title=Unencrypted backup::age-recipients is none/);
    const manifest = JSON.parse(
      (await bucket.get(result.outputs['manifest-key']!)).toString('utf8'),
    ) as Manifest;
    expect(manifest.encryption).toEqual({ type: 'none' });
    expect((await bucket.get(result.outputs.key!)).subarray(0, 5).toString('latin1')).toBe('PGDMP');
  });

  it('completes two backups started in the same second under distinct keys', async () => {
    const prefix = 'concurrent';
    const inputs = backupInputs(server, bucket, { prefix, 'pg-dump-args': '--table=customers' });
    // The bundle in two processes of its own, as two runners would start it.
    const runs = await Promise.all([1, 2].map(() => runBundledAction(process.execPath, inputs, runnerEnv)));
    for (const run of runs) expect(run.failed, run.stdout + run.stderr).toBe(false);
    const results = runs.map((run) => run.outputs);
    const keys = results.map((outputs) => outputs.key);
    expect(new Set(keys).size).toBe(2);
    const stored = await bucket.keys(prefix);
    expect(stored).toHaveLength(6); // each backup: its dump, its globals, its manifest
    for (const outputs of results) {
      expect(stored).toContain(outputs.key);
      const manifest = JSON.parse((await bucket.get(outputs['manifest-key']!)).toString('utf8')) as Manifest;
      const object = await bucket.get(outputs.key!);
      expect(manifest.object.sha256).toBe(createHash('sha256').update(object).digest('hex'));
    }
  });

  it('fails on a wrong bucket before dumping', async () => {
    const result = await runAction(
      backupInputs(server, bucket, { bucket: 'no-such-bucket-here' }),
      runnerEnv,
    );
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /::error::Input 'bucket': the bucket 'no-such-bucket-here' does not exist at the endpoint/,
    );
    expect(result.stdout).not.toContain('pg_dump --format');
  });

  it('fails on a wrong secret key before dumping, without printing it', async () => {
    const wrong = 'wrongSecretKey0123456789abcdefghijklmnop';
    const result = await runAction(backupInputs(server, bucket, { 'secret-access-key': wrong }), runnerEnv);
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::Input 'secret-access-key': .* refused the request signature/);
    expect(result.stdout).not.toContain('pg_dump --format');
    expectNoSecrets(result, [wrong, server.password]);
  });
});
