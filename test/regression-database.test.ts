/**
 * The drill of a database nobody on this project wrote: PostgreSQL 15's own regression database (what its
 * regression suite leaves in `regression`), backed up and drilled through the action with `ownership: auto` into a
 * fresh server of the same build. Every object must compare equal but what a dump cannot carry (named), with the
 * foreign keys a restore names anew as notes. On Debian 12 the servers are its packaged 15 at the newest point
 * release; elsewhere the npm build of 15. Source and target are one build: the suite makes lz4-compressed columns
 * where the server has lz4 (the packaged one), which the npm builds lack, and that would be a real loss there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractDeb } from '../src/installer/deb-archive.js';
import { runAction } from './support/action-run.js';
import { type AptMirror, mirrorDebianPackages, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { sql } from './support/dataset.js';
import { distributionMajor } from './support/distribution-postgres.js';
import { type ServerBuild, startPostgres, type TestPostgres } from './support/postgres-server.js';
import { REGRESSION_MAJOR, seedRegressionDatabase } from './support/regression-database.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const build: ServerBuild = (await distributionMajor()) === REGRESSION_MAJOR ? 'distribution' : 'npm';

let mirror: AptMirror;
let bucket: TestBucket;
let runner: TestRunner;
let source: TestPostgres;
let target: TestPostgres;
let clientRoot: string;
let suite: { remove(): Promise<void> } | undefined;

/** psql for pg_regress: the mirror's client 15, with the libraries the test bed gives it on a newer Debian. */
async function regressionClient(): Promise<{ bin: string; env: NodeJS.ProcessEnv }> {
  clientRoot = await mkdtemp(join(tmpdir(), 'regression-client-'));
  for (const deb of await mirrorDebianPackages()) await extractDeb(deb.path, clientRoot);
  const libraries = [join(clientRoot, 'usr/lib/x86_64-linux-gnu'), process.env.LD_LIBRARY_PATH].filter(
    Boolean,
  );
  return {
    bin: join(clientRoot, 'usr/lib/postgresql/15/bin'),
    env: { LD_LIBRARY_PATH: libraries.join(':') },
  };
}

beforeAll(async () => {
  [runner, mirror, bucket, source, target] = await Promise.all([
    prepareTestRunner('regression-database', []),
    startAptMirror(),
    createTestBucket(),
    startPostgres(REGRESSION_MAJOR, { build }),
    startPostgres(REGRESSION_MAJOR, { build }),
  ]);
  suite = await seedRegressionDatabase(source, await regressionClient());
}, 600_000);
afterAll(async () => {
  await Promise.all([source.stop(), target.stop(), mirror.stop()]);
  await runner.cleanup();
  await suite?.remove();
  if (clientRoot) await rm(clientRoot, { recursive: true, force: true });
});

describe(`PostgreSQL's regression database, on the ${build} build of PostgreSQL ${REGRESSION_MAJOR}`, () => {
  it('drills with every object equal, the renamed partition foreign keys and the shell operators named', async () => {
    const [objects] = await sql(source, 'regression', 'SELECT count(*)::int AS n FROM pg_class');
    expect((objects!.rows[0] as { n: number }).n).toBeGreaterThan(1000);
    const inputs = { ...mirror.inputs, prefix: 'regression', ...bucket.inputs };
    const backedUp = await runAction(
      {
        'database-url': source.url({ database: 'regression' }),
        'age-recipients': runner.recipient,
        ...inputs,
      },
      runner.env,
    );
    expect(backedUp.failed, backedUp.stdout).toBe(false);
    const drilled = await runAction(
      { mode: 'drill', 'target-url': target.url(), 'age-identity': runner.identity, ...inputs },
      runner.env,
    );
    expect(drilled.failed, drilled.stdout).toBe(false);
    expect(drilled.outputs.result).toBe('passed');
    const summary = drilled.files;
    expect(summary).toMatch(/<td>Schema<\/td><td>✅ \d{4,} objects of \d+ kinds match/);
    expect(summary).toMatch(
      /<li>constraint public\.fk_partitioned_fk_4\.fk_partitioned_fk_4_a_b_fkey: restored as public\.fk_partitioned_fk_4\.fk_partitioned_fk_a_b_fkey: /,
    );
    expect(summary).toContain('<li>shell operator public.!==(boolean, boolean): ');
    const schemaLine = /<td>Schema<\/td><td>[^<]*<\/td>/.exec(summary)?.[0];
    console.log(`Regression database drill: ${schemaLine}`);
  });
});
