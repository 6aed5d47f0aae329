import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction, type ActionResult } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { seedDataset, sql } from './support/dataset.js';
import { expectNoSecrets } from './support/secrets.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

/** Several databases in one step: two on a PostgreSQL 17 server, one on an 18 (so two clients), one run. */
describe('several databases in one run', () => {
  let runner: TestRunner;
  let bucket: TestBucket;
  let server17: TestPostgres;
  let server18: TestPostgres;

  beforeAll(async () => {
    [runner, bucket, server17, server18] = await Promise.all([
      prepareTestRunner('several-databases', [17, 18]),
      createTestBucket(),
      startPostgres(17),
      startPostgres(18),
    ]);
    await sql(server17, 'postgres', 'CREATE DATABASE crm');
    await sql(server17, 'postgres', 'CREATE DATABASE drills');
    await sql(server18, 'postgres', 'CREATE DATABASE ledger');
    await seedDataset(server17, 'app');
    await sql(server17, 'crm', 'CREATE TABLE contacts AS SELECT g AS id FROM generate_series(1, 42) g');
    await sql(server18, 'ledger', 'CREATE TABLE entries AS SELECT g AS id FROM generate_series(1, 7) g');
  });
  afterAll(async () => {
    await Promise.all([server17.stop(), server18.stop()]);
    await runner.cleanup();
  });

  const backup = (inputs: Record<string, string>) =>
    runAction({ 'age-recipients': runner.recipient, ...bucket.inputs, ...inputs }, runner.env);

  const backupsOf = (result: ActionResult) =>
    JSON.parse(result.outputs.backups ?? '[]') as Record<string, unknown>[];

  it('backs up each line of database-url into its own folder; one failing fails the step at the end', async () => {
    const wrongPassword = server17.url({ database: 'crm', password: 'not-the-password' });
    const result = await backup({
      prefix: 'lines',
      'database-url': [
        server17.url(),
        wrongPassword,
        '# a comment line',
        server18.url({ database: 'ledger' }),
      ].join('\n'),
      'keep-last': '1',
    });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /::error::1 of 3 databases failed \(the others are stored\): crm: .*password/,
    );
    const backups = backupsOf(result);
    expect(backups.map((entry) => [entry.database, entry.status])).toEqual([
      ['app', 'succeeded'],
      ['crm', 'failed'],
      ['ledger', 'succeeded'],
    ]);
    const [app, crm, ledger] = backups;
    expect(app).toMatchObject({ serverVersion: server17.version, tableCount: 6, prunedCount: 0 });
    expect(String(app!.pgDumpVersion)).toMatch(/^17\./);
    expect(String(ledger!.pgDumpVersion)).toMatch(/^18\./);
    expect(ledger).toMatchObject({ serverVersion: server18.version, tableCount: 1, rowCount: 7 });
    expect(crm!.error).toMatch(/password authentication failed/);
    expect(crm!.key).toBeUndefined();
    const keys = await bucket.keys('lines/');
    for (const entry of [app, ledger]) {
      expect(keys).toContain(entry!.key);
      expect(keys).toContain(entry!.manifestKey);
    }
    expect(keys.filter((key) => key.startsWith('lines/crm/'))).toEqual([]);
    // Each database's own outputs are in `backups`; the single ones would name only the last.
    expect(result.outputs.key).toBeUndefined();
    expect(result.outputs['pruned-count']).toBe('0');
    expect(result.files).toMatch(/Backups of 3 databases: 1 failed, 2 stored/);
    expect(result.stdout).toMatch(/::group::Backup of app/);
    expect(result.stdout).toMatch(/::group::PostgreSQL 18 client/);
    expectNoSecrets(result, [server17.password, server18.password, 'not-the-password']);
  });

  it('backs up databases: all on a server, leaving out exclude-databases and the templates', async () => {
    const result = await backup({
      prefix: 'all',
      'database-url': server17.url({ database: 'postgres' }),
      databases: 'all',
      'exclude-databases': 'postgres, drills',
    });
    expect(result.failed, result.stdout).toBe(false);
    expect(backupsOf(result).map((entry) => entry.database)).toEqual(['app', 'crm']);
    const folders = new Set((await bucket.keys('all/')).map((key) => key.split('/')[1]));
    expect([...folders].sort()).toEqual(['app', 'crm']);
    expect(result.files).toMatch(/Backups of 2 databases: all stored/);
  });

  it("fails a database whose name would reach into another's folder, storing nothing of it, and backs up the rest", async () => {
    // Anyone with CREATEDB on a server backed up with databases: all could make one.
    await sql(server17, 'postgres', 'CREATE DATABASE "app/x"');
    try {
      const result = await backup({
        prefix: 'names',
        'database-url': server17.url({ database: 'postgres' }),
        databases: 'all',
        'exclude-databases': 'postgres, drills',
      });
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(
        /::error::1 of 3 databases failed \(the others are stored\): app\/x: The database name "app\/x" cannot be a folder of the bucket: its "\/" would put its backups inside the folder of database "app"/,
      );
      const keys = await bucket.keys('names/');
      expect(keys.filter((key) => key.startsWith('names/app/x'))).toEqual([]);
      expect(new Set(keys.map((key) => key.split('/')[1]))).toEqual(new Set(['app', 'crm']));
    } finally {
      await sql(server17, 'postgres', 'DROP DATABASE "app/x"');
    }
  });

  it('keeps the single outputs and summary when databases names one', async () => {
    const result = await backup({ prefix: 'one', 'database-url': server17.url(), databases: 'crm' });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs.key).toMatch(/^one\/crm\/.*\.dump\.age$/);
    expect(result.outputs['table-count']).toBe('1');
    expect(backupsOf(result)).toMatchObject([
      { database: 'crm', status: 'succeeded', key: result.outputs.key },
    ]);
    expect(result.files).toMatch(/Backup of crm/);
  });

  it('refuses databases the server does not have, before anything is written', async () => {
    const result = await backup({
      prefix: 'missing',
      'database-url': server17.url(),
      databases: 'app, nope',
    });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::Input 'databases': names 'nope', which the server does not have/);
    expect(await bucket.keys('missing/')).toEqual([]);
  });

  it('drills and prunes every database under the prefix with database: all', async () => {
    for (let night = 0; night < 2; night += 1) {
      const stored = await backup({
        prefix: 'drill-all',
        'database-url': [server17.url(), server17.url({ database: 'crm' })].join('\n'),
      });
      expect(stored.failed, stored.stdout).toBe(false);
    }
    const drill = await runAction(
      {
        mode: 'drill',
        database: 'all',
        'target-url': server17.url({ database: 'drills' }),
        'age-identity': runner.identity,
        prefix: 'drill-all',
        ...bucket.inputs,
      },
      runner.env,
    );
    expect(drill.failed, drill.stdout).toBe(false);
    expect(drill.outputs.result).toBe('passed');
    expect(backupsOf(drill)).toMatchObject([
      { database: 'app', result: 'passed', tablesMismatched: 0 },
      { database: 'crm', result: 'passed', tablesChecked: 1, tablesMismatched: 0 },
    ]);
    expect(drill.files).toMatch(/Restore drills of 2 databases: ✅ all passed/);

    const prune = await runAction(
      { mode: 'prune', database: 'all', 'keep-last': '1', prefix: 'drill-all', ...bucket.inputs },
      runner.env,
    );
    expect(prune.failed, prune.stdout).toBe(false);
    expect(prune.outputs['pruned-count']).toBe('2');
    const manifests = (await bucket.keys('drill-all/')).filter((key) => key.endsWith('.manifest.json'));
    expect(manifests.map((key) => key.split('/')[1])).toEqual(['app', 'crm']);
  });
});
