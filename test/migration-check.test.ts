import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../src/migrate/migration-report.js';
import { type ActionResult, runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { seedDataset, sql } from './support/dataset.js';
import { type FakeGitHub, startFakeGitHub, WRITE_TOKEN } from './support/github-api.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const BIG_TABLE_ROWS = 200_000;

describe('PR migration check: migrate-command on a restored backup', () => {
  let runner: TestRunner;
  let scratch: string;
  let source: TestPostgres;
  let target: TestPostgres;
  let bucket: TestBucket;
  let identity: string;
  let runnerEnv: Record<string, string>;

  beforeAll(async () => {
    runner = await prepareTestRunner('migration-check');
    scratch = runner.scratch;
    [source, target, bucket] = await Promise.all([startPostgres(17), startPostgres(17), createTestBucket()]);
    runnerEnv = { ...runner.env };
    identity = runner.identity;
    const recipient = runner.recipient;
    await seedDataset(source);
    await sql(
      source,
      'app',
      `CREATE TABLE events (id bigint PRIMARY KEY, account int, kind text, note text, at timestamptz);
       INSERT INTO events
         SELECT g, g % 1000, 'kind-' || g % 7, repeat(md5(g::text), 12), timestamptz '2025-01-01' + g * interval '1 s'
         FROM generate_series(1, ${BIG_TABLE_ROWS}) g;`,
    );
    const backup = await runAction(
      { 'database-url': source.url(), 'age-recipients': recipient, prefix: 'migrate', ...bucket.inputs },
      runnerEnv,
    );
    expect(backup.failed, backup.stdout).toBe(false);
  });
  afterAll(async () => {
    await Promise.all([source.stop(), target.stop()]);
    await runner.cleanup();
  });

  function check(command: string, env: Record<string, string> = {}, extra: Record<string, string> = {}) {
    return runAction(
      {
        mode: 'drill',
        'target-url': target.url(),
        'age-identity': identity,
        prefix: 'migrate',
        'migrate-command': command,
        ...bucket.inputs,
        ...extra,
      },
      { ...runnerEnv, ...env },
    );
  }

  const summaryOf = (result: ActionResult) => result.files;

  it('reports the ACCESS EXCLUSIVE lock of a volatile default on a 200,000-row table, and the new column', async () => {
    const result = await check(
      `psql -v ON_ERROR_STOP=1 -c "ALTER TABLE events ADD COLUMN score float8 DEFAULT random()"`,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(Number(result.outputs['migrate-seconds'])).toBeGreaterThan(0);
    const summary = summaryOf(result);
    expect(summary).toContain('Migration check on app: ✅ passed');
    expect(summary).toMatch(
      /- (⚠️ )?held ACCESS EXCLUSIVE on public\.events \(200,000 rows\) for \d+(\.\d)? s/,
    );
    expect(summary).toMatch(/added column `public\.events\.score`/);
    expect(summary).toContain('+    score double precision DEFAULT random()');
    expect(summary).toContain('No table gained or lost rows.');
    expect(summary).toMatch(/### Slowest statements\s+pg_stat_statements is not/);
    console.log(summary.slice(summary.indexOf('## Migration check')));
  });

  it('reports the SHARE lock of a non-concurrent index build', async () => {
    const result = await check(`psql -v ON_ERROR_STOP=1 -c "CREATE INDEX events_note ON events (note)"`);
    expect(result.failed, result.stdout).toBe(false);
    expect(summaryOf(result)).toMatch(
      /- (⚠️ )?held SHARE on public\.events \(200,000 rows\) for \d+(\.\d)? s/,
    );
    expect(summaryOf(result)).toMatch(/added index `public\.events_note`/);
  });

  it('reports no long lock for a harmless migration, and the row-count changes', async () => {
    const result = await check(
      `psql -v ON_ERROR_STOP=1 -c "CREATE TABLE audit_new (id int)" -c "ALTER TABLE events ADD COLUMN maybe text" -c "DELETE FROM orders WHERE id <= 10"`,
    );
    expect(result.failed, result.stdout).toBe(false);
    const summary = summaryOf(result);
    expect(summary).toContain('No table was locked against writes for 0.2 s or more.');
    expect(summary).toMatch(/\| public\.orders \| 2,000 \| 1,990 \| -10 \|/);
    expect(summary).toMatch(/\| public\.audit_new \| - \| 0 \| 0 \|/);
    expect(summary).toMatch(/added table `public\.audit_new`/);
  });

  it('fails the check on a failing migration and shows its error', async () => {
    const result = await check(`psql -v ON_ERROR_STOP=1 -c "ALTER TABLE no_such_table ADD COLUMN x int"`);
    expect(result.failed).toBe(true);
    expect(result.outputs.result).toBe('failed');
    expect(result.stdout).toMatch(
      /::error::Drill failed: migrate-command exited with code 1: .*relation "no_such_table" does not exist/,
    );
    expect(summaryOf(result)).toContain('Migration check on app: ❌ failed');
    expect(summaryOf(result)).toContain('ERROR:  relation "no_such_table" does not exist');
  });

  it('gives the command DATABASE_URL and PG* of the restored database, never the password in argv', async () => {
    const out = join(scratch, 'env.txt');
    const withheld = join(scratch, 'withheld.txt');
    const result = await check(
      `echo "$DATABASE_URL|$PGDATABASE|$PGHOST" > ${out}; psql -Atc "SELECT count(*) FROM events" >> ${out}; ` +
        `env | grep -E '^(INPUT_|ACTIONS_RUNTIME_TOKEN=|ACTIONS_ID_TOKEN_REQUEST_TOKEN=)' > ${withheld} || true`,
      { ACTIONS_RUNTIME_TOKEN: 'runtime-token-the-command-must-not-see', MIGRATION_SETTING: 'kept' },
    );
    expect(result.failed, result.stdout).toBe(false);
    // A pull request's code: none of the action's inputs (the age identity, the bucket's secret key) reach it.
    expect(await readFile(withheld, 'utf8')).toBe('');
    const [urlLine, count] = (await readFile(out, 'utf8')).trim().split('\n');
    const [url, database, host] = urlLine!.split('|');
    expect(database).toMatch(/^drill_\d{14}_[0-9a-f]{4}$/);
    expect(host).toBe('127.0.0.1');
    expect(new URL(url!).pathname).toBe(`/${database!}`);
    expect(count).toBe(String(BIG_TABLE_ROWS));
    expect(withoutMaskCommands(result.stdout)).not.toContain(target.password);
  });

  describe('on a pull request', () => {
    let github: FakeGitHub;
    let eventPath: string;

    beforeAll(async () => {
      github = await startFakeGitHub();
      eventPath = join(scratch, 'event.json');
      await writeFile(eventPath, JSON.stringify({ pull_request: { number: 42 } }));
    });
    afterAll(async () => {
      await github.stop();
    });

    it('creates one PR comment, then updates it on the next push instead of adding another', async () => {
      const env = {
        GITHUB_API_URL: github.url,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REPOSITORY: 'acme/shop',
      };
      const first = await check(`psql -c "SELECT 1"`, env, { 'github-token': WRITE_TOKEN });
      expect(first.failed, first.stdout).toBe(false);
      expect(first.stdout).toMatch(/Migration report created on pull request #42/);
      expect(github.comments({ owner: 'acme', repo: 'shop', number: 42 })).toHaveLength(1);

      const second = await check(`psql -c "CREATE TABLE later (id int)"`, env, {
        'github-token': WRITE_TOKEN,
      });
      expect(second.stdout).toMatch(/Migration report updated on pull request #42/);
      const comments = github.comments({ owner: 'acme', repo: 'shop', number: 42 });
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(REPORT_MARKER);
      expect(comments[0]!.body).toMatch(/added table `public\.later`/);
      expect(withoutMaskCommands(second.stdout)).not.toContain(WRITE_TOKEN);
    });
  });
});
