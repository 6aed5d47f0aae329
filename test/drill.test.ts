import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SOURCE_OUTPUT } from '../src/installer/pg-client.js';
import type { Manifest } from '../src/shared/manifest.js';
import { latestManifestKey } from '../src/storage/backup-catalog.js';
import { runAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { countRows, seedDataset, sql } from './support/dataset.js';
import { startPostgres, type TestMajor, type TestPostgres } from './support/postgres-server.js';
import { expectNoSecrets } from './support/secrets.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);

let mirror: AptMirror;
let runnerEnv: Record<string, string>;
let identity: string;
let recipient: string;
let bucket: TestBucket;

let runner: TestRunner;

beforeAll(async () => {
  [runner, mirror, bucket] = await Promise.all([
    prepareTestRunner('drill-test', [17, 18]),
    startAptMirror(),
    createTestBucket(),
  ]);
  ({ identity, recipient } = runner);
  runnerEnv = { ...runner.env };
});
afterAll(async () => {
  await mirror.stop();
  await runner.cleanup();
});

async function backup(source: TestPostgres, prefix: string): Promise<Record<string, string>> {
  const result = await runAction(
    {
      'database-url': source.url(),
      ...mirror.inputs,
      'age-recipients': recipient,
      'pg-dump-args': '--exclude-table-data=audit_log',
      prefix,
      ...bucket.inputs,
    },
    runnerEnv,
  );
  expect(result.failed, result.stdout).toBe(false);
  return result.outputs;
}

function drill(target: TestPostgres, prefix: string, extra: Record<string, string> = {}) {
  return runAction(
    {
      mode: 'drill',
      'target-url': target.url(),
      'age-identity': identity,
      ...mirror.inputs,
      prefix,
      ...bucket.inputs,
      ...extra,
    },
    runnerEnv,
  );
}

/** Databases on the server other than the templates and `postgres`. */
async function databases(server: TestPostgres): Promise<string[]> {
  const [result] = await sql(
    server,
    'postgres',
    "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1",
  );
  return result!.rows.map((row: { datname: string }) => row.datname);
}

async function manifestOf(key: string): Promise<Manifest> {
  return JSON.parse((await bucket.get(key)).toString('utf8')) as Manifest;
}

describe.each([15, 17, 18] as const)(
  'drill of a PostgreSQL %i backup into a fresh server of that major',
  (major: TestMajor) => {
    let source: TestPostgres;
    let target: TestPostgres;

    beforeAll(async () => {
      [source, target] = await Promise.all([startPostgres(major), startPostgres(major)]);
    });
    afterAll(async () => {
      await Promise.all([source.stop(), target.stop()]);
    });

    it('passes with zero mismatches and the counts of backup time, though the source changed since', async () => {
      await seedDataset(source);
      const atBackup = await countRows(source, 'app');
      const prefix = `drill-${major}`;
      const backupStarted = Date.now();
      const outputs = await backup(source, prefix);
      await sql(
        source,
        'app',
        "DELETE FROM orders WHERE id % 3 = 0; INSERT INTO customers (email, created_at) VALUES ('late@example.com', now())",
      );

      const result = await drill(target, prefix);
      expect(result.failed, result.stdout).toBe(false);
      expect(result.outputs).toMatchObject({
        result: 'passed',
        'tables-mismatched': '0',
        'tables-checked': '6', // five tables with data and the large objects
        key: outputs.key,
        'manifest-key': outputs['manifest-key'],
        'server-version': target.version,
      });
      // The backup is no older than the time since this test started it, however slow the machine.
      const age = Number(result.outputs['backup-age-seconds']);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThanOrEqual(Math.ceil((Date.now() - backupStarted) / 1000));
      expect(Number(result.outputs['restore-seconds'])).toBeGreaterThan(0);
      expect(result.outputs['pg-dump-version']).toMatch(new RegExp(`^${major}\\.`));
      const clientSource = Object.entries(CLIENT_SOURCE_OUTPUT).find(
        ([, output]) => output === result.outputs['pg-dump-source'],
      )?.[0];
      expect(result.files).toContain(
        `<td>Restored with</td><td>pg_restore ${result.outputs['pg-dump-version']} (from the ${clientSource})</td>`,
      );

      const restored = await countRows(target, 'app');
      for (const [table, rows] of atBackup) {
        expect(restored.get(table)).toBe(table === 'public.audit_log' ? 0 : rows);
      }
      expect(result.files).toContain('Restore drill of app: ✅ passed');
      expect(result.files).toMatch(/<td>public\.orders<\/td><td>2,000<\/td><td>2,000<\/td><td>✅ ok<\/td>/);
      expect(result.files).toContain('RPO (backup age)');
      // A drill restores owners and privileges (ownership: auto), so pg_restore runs without --no-owner.
      const restores = result.childArgv.filter((argv) => /pg_restore .*--jobs=/.test(argv));
      expect(restores.length).toBeGreaterThan(0);
      for (const argv of restores) expect(argv).not.toContain('--no-owner');
      expect(result.files).toContain('<td>Owners and privileges</td><td>restored');
      expectNoSecrets(result, [
        identity.match(/AGE-SECRET-KEY-1\S+/)![0],
        target.password,
        bucket.secretAccessKey,
      ]);
    });
  },
);

describe('drill failures', () => {
  let source: TestPostgres;
  let target: TestPostgres;
  let outputs: Record<string, string>;
  const prefix = 'failures';

  beforeAll(async () => {
    [source, target] = await Promise.all([startPostgres(17), startPostgres(17)]);
    await seedDataset(source);
    outputs = await backup(source, prefix);
  });
  afterAll(async () => {
    await Promise.all([source.stop(), target.stop()]);
  });

  /** Replaces an object in the bucket for one test, and puts the original back afterwards. */
  async function withReplaced(key: string, body: Buffer | string, check: () => Promise<void>): Promise<void> {
    const original = await bucket.get(key);
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: body }));
    try {
      await check();
    } finally {
      await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: original }));
    }
  }

  /** The drill fails with `message`, and the target server got no statement: no table, no new database. */
  async function expectRefusedBeforeTarget(
    message: RegExp,
    extra: Record<string, string> = {},
  ): Promise<void> {
    const before = await databases(target);
    const result = await drill(target, prefix, extra);
    expect(result.failed).toBe(true);
    expect(result.outputs.result).toBe('failed');
    expect(result.stdout).toMatch(message);
    expect(await databases(target)).toEqual(before);
    expect((await countRows(target, 'app')).size).toBe(0);
  }

  it('refuses an object with one flipped byte before the target sees a statement', async () => {
    const object = await bucket.get(outputs.key!);
    const flipped = Buffer.from(object);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await withReplaced(outputs.key!, flipped, () =>
      expectRefusedBeforeTarget(
        /::error::The backup .* does not match its manifest: .* SHA-256 .* damaged, truncated or was replaced/,
      ),
    );
  });

  it('refuses a truncated object', async () => {
    const object = await bucket.get(outputs.key!);
    await withReplaced(outputs.key!, object.subarray(0, Math.floor(object.length / 2)), () =>
      expectRefusedBeforeTarget(/::error::The backup .* does not match its manifest/),
    );
  });

  it('refuses a manifest whose checksum disagrees with the object', async () => {
    const manifest = await manifestOf(outputs['manifest-key']!);
    const wrong = { ...manifest, object: { ...manifest.object, sha256: 'f'.repeat(64) } };
    await withReplaced(outputs['manifest-key']!, JSON.stringify(wrong), () =>
      expectRefusedBeforeTarget(
        /::error::The backup .* does not match its manifest: .* but the manifest says .* SHA-256 f{64}/,
      ),
    );
  });

  it("refuses an object replaced by another backup's", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a backup of another second
    const other = await backup(source, `${prefix}-other`);
    await withReplaced(outputs.key!, await bucket.get(other.key!), () =>
      expectRefusedBeforeTarget(/::error::The backup .* does not match its manifest/),
    );
  });

  it('refuses a wrong passphrase on a passphrase backup', async () => {
    const passPrefix = `${prefix}-pass`;
    const made = await runAction(
      {
        'database-url': source.url(),
        passphrase: 'the right passphrase, long enough',
        prefix: passPrefix,
        ...mirror.inputs,
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(made.failed, made.stdout).toBe(false);
    const before = await databases(target);
    const result = await drill(target, passPrefix, {
      'age-identity': '',
      passphrase: 'a wrong passphrase entirely',
    });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::The backup .* could not be decrypted: .*passphrase/i);
    expect(await databases(target)).toEqual(before);
    expect(withoutMaskCommands(result.stdout)).not.toContain('a wrong passphrase entirely');
  });

  it('refuses a wrong identity, naming the input', async () => {
    const other = (await execFileAsync('age-keygen')).stdout;
    await expectRefusedBeforeTarget(
      /::error::Input 'age-identity': does not open this backup: it is encrypted to age1/,
      {
        'age-identity': other,
      },
    );
  });

  it('refuses a manifest of an unknown format', async () => {
    const manifest = await manifestOf(outputs['manifest-key']!);
    await withReplaced(outputs['manifest-key']!, JSON.stringify({ ...manifest, format: 2 }), () =>
      expectRefusedBeforeTarget(/::error::The manifest .* has format 2, which this version does not know/),
    );
  });

  it('fails a diff that disagrees with the manifest, naming the table', async () => {
    const manifest = await manifestOf(outputs['manifest-key']!);
    const tables = manifest.rowCounts.tables.map((table) =>
      table.table === 'orders' ? { ...table, rows: table.rows! + 1 } : table,
    );
    await withReplaced(
      outputs['manifest-key']!,
      JSON.stringify({ ...manifest, rowCounts: { ...manifest.rowCounts, tables } }),
      async () => {
        const result = await drill(target, prefix);
        expect(result.failed).toBe(true);
        expect(result.outputs).toMatchObject({
          result: 'failed',
          'tables-mismatched': '1',
          'tables-checked': '6',
        });
        expect(result.stdout).toMatch(
          /::error::Drill failed: 1 of 6 tables differ from the manifest: public\.orders expected 2001, restored 2000/,
        );
        expect(result.files).toMatch(
          /<td>public\.orders<\/td><td>2,001<\/td><td>2,000<\/td><td>❌ mismatch<\/td>/,
        );
      },
    );
  });

  it('fails on a backup older than max-backup-age, with the measured age and the threshold', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const result = await drill(target, prefix, { 'max-backup-age': '2s' });
    expect(result.failed).toBe(true);
    expect(result.outputs.result).toBe('failed');
    expect(result.stdout).toMatch(
      /::error::Drill failed: the latest backup is \d+\.\d s old, over max-backup-age 2\.0 s: backups have stopped or are failing/,
    );
  });

  it('refuses bad drill inputs, naming each', async () => {
    for (const [extra, message] of [
      [{ 'max-backup-age': '26 hours' }, /Input 'max-backup-age': '26 hours' is not a duration/],
      [{ 'max-restore-time': 'soon' }, /Input 'max-restore-time': 'soon' is not a duration/],
      [
        { backup: 'failures/app/nope.dump.age' },
        /Input 'backup': no backup 'failures\/app\/nope\.dump\.age'/,
      ],
      [{ backup: 'whatever.tar' }, /Input 'backup': 'whatever\.tar' is neither latest nor a backup key/],
      [{ 'target-url': '' }, /Input 'target-url': is empty/],
      [{ 'age-identity': recipient }, /Input 'age-identity': .*public key/],
      [{ ownership: 'sometimes' }, /Input 'ownership': 'sometimes' is not one of auto, none/],
    ] as const) {
      const result = await drill(target, prefix, extra);
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(message);
    }
  });

  it('restores an explicit backup key with mode: restore, and refuses a non-empty target', async () => {
    await sql(target, 'postgres', 'CREATE DATABASE restore_here');
    const restoreInto = (database: string) =>
      runAction(
        {
          mode: 'restore',
          'target-url': target.url({ database }),
          'age-identity': identity,
          backup: outputs.key!,
          prefix,
          ...mirror.inputs,
          ...bucket.inputs,
        },
        runnerEnv,
      );
    const result = await restoreInto('restore_here');
    expect(result.failed, result.stdout).toBe(false);
    expect(Number(result.outputs['restore-seconds'])).toBeGreaterThan(0);
    expect((await countRows(target, 'restore_here')).get('public.orders')).toBe(2000);

    const again = await restoreInto('restore_here');
    expect(again.failed).toBe(true);
    expect(again.stdout).toMatch(
      /::error::The target database "restore_here" is not empty .* nothing is overwritten/,
    );
  });

  it('restores into a fresh database when the drill target is not empty', async () => {
    await sql(target, 'app', 'CREATE TABLE IF NOT EXISTS keep_me (id int)');
    const result = await drill(target, prefix);
    expect(result.failed, result.stdout).toBe(false);
    expect(result.stdout).toMatch(/restores into a new database "drill_\d{14}_[0-9a-f]{4}"/);
    expect((await countRows(target, 'app')).get('public.keep_me')).toBe(0);
  });
});

describe('restore errors', () => {
  it('restores a policy that names a role the target lacks, creating the role, and fails without ownership', async () => {
    const [source, target] = await Promise.all([startPostgres(16), startPostgres(16)]);
    try {
      await sql(
        source,
        'app',
        `CREATE ROLE app_reader;
         CREATE TABLE notes (id int, body text);
         INSERT INTO notes VALUES (1, 'hello');
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
         CREATE POLICY readers ON notes FOR SELECT TO app_reader USING (true);
         GRANT SELECT ON notes TO app_reader;`,
      );
      await backup(source, 'roles');
      const auto = await drill(target, 'roles');
      expect(auto.failed, auto.stdout).toBe(false);
      expect(auto.stdout).toContain('Created on the target: role app_reader (NOLOGIN)');
      expect(auto.files).toMatch(/<td>Owners and privileges<\/td><td>restored; role app_reader \(NOLOGIN\)/);
      const [grants] = await sql(
        target,
        'postgres',
        "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app_reader'",
      );
      expect(grants!.rows).toEqual([{ rolcanlogin: false }]);

      // Without ownership, into a server that lacks the role: the drill fails and still says why, in full.
      const bare = await startPostgres(16);
      try {
        const none = await drill(bare, 'roles', { ownership: 'none' });
        expect(none.failed).toBe(true);
        expect(none.outputs).toMatchObject({ result: 'failed', 'tables-checked': '0' });
        expect(Number(none.outputs['restore-seconds'])).toBeGreaterThan(0);
        expect(none.stdout).toMatch(
          /::error::pg_restore reported 1 error:%0A- could not execute query: ERROR: {2}role "app_reader" does not exist%0A {2}Statement: CREATE POLICY readers ON public\.notes /,
        );
        expect(none.stdout).toMatch(/Create the role on the target first: CREATE ROLE "app_reader";/);
        expect(none.files).toContain('Restore drill of app: ❌ failed');
        expect(none.files).toMatch(/<code>CREATE POLICY readers ON public\.notes FOR SELECT TO app_reader/);
        expect(none.files).toContain('Create the role on the target first');
      } finally {
        await bare.stop();
      }
    } finally {
      await Promise.all([source.stop(), target.stop()]);
    }
  });

  it('drills a PostgreSQL 16 backup made by the nearest newer pg_dump (17) into a 16 server', async () => {
    const [source, target] = await Promise.all([startPostgres(16), startPostgres(16)]);
    try {
      await seedDataset(source);
      const outputs = await backup(source, 'nearest');
      const manifest = await manifestOf(outputs['manifest-key']!);
      expect(manifest.server.version).toBe(source.version);
      expect(manifest.client.pgDump).toMatch(/^17\./);
      const result = await drill(target, 'nearest');
      expect(result.failed, result.stdout).toBe(false);
      expect(result.outputs).toMatchObject({ result: 'passed', 'tables-mismatched': '0' });
      expect(result.stdout).toMatch(
        /::warning::pg_restore set \d+ session parameter\(s\) that PostgreSQL 16 does not know/,
      );
    } finally {
      await Promise.all([source.stop(), target.stop()]);
    }
  });

  it('names a missing extension and the image that has it', async () => {
    const { parseRestoreErrors } = await import('../src/restore/pg-restore.js');
    const stderr = [
      'pg_restore: while PROCESSING TOC:',
      'pg_restore: from TOC entry 2; 3079 16385 EXTENSION postgis (no owner)',
      'pg_restore: error: could not execute query: ERROR:  extension "postgis" is not available',
      'DETAIL:  Could not open extension control file "/usr/share/postgresql/16/extension/postgis.control": No such file or directory.',
      'HINT:  The extension must first be installed on the system where PostgreSQL is running.',
      'Command was: CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;',
      'pg_restore: warning: errors ignored on restore: 1',
    ].join('\n');
    expect(parseRestoreErrors(stderr)).toEqual([
      {
        error:
          'could not execute query: ERROR:  extension "postgis" is not available DETAIL:  Could not open extension control file "/usr/share/postgresql/16/extension/postgis.control": No such file or directory. HINT:  The extension must first be installed on the system where PostgreSQL is running.',
        command: 'CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;',
        hint: 'The target server lacks the extension "postgis": restore into a server that has it installed (for example the postgis/postgis:<major> image).',
      },
    ]);
  });
});

describe('finding the backup', () => {
  it('takes the newest manifest among 1,500 backups (3,000 keys) and never an object without one', async () => {
    const store = await createTestBucket();
    const put = (key: string) =>
      store.client.send(new PutObjectCommand({ Bucket: store.name, Key: key, Body: '' }));
    const keys: string[] = [];
    for (let day = 0; day < 1500; day++) {
      const at = new Date(Date.UTC(2020, 0, 1) + day * 86_400_000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/:/g, '-');
      keys.push(`postgres/app/${at}.manifest.json`, `postgres/app/${at}.dump.age`);
    }
    keys.push('postgres/app/2031-01-01T00-00-00Z.dump.age'); // newer, but an interrupted run
    // Newer, but another database's: one named `app/x` (whose backup a name check now refuses) and a stray key.
    keys.push('postgres/app/x/2032-01-01T00-00-00Z.manifest.json', 'postgres/app/zz-notes.manifest.json');
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map(put));
    const settings = {
      bucket: store.name,
      prefix: 'postgres',
      endpoint: store.inputs.endpoint,
      region: store.inputs.region!,
      forcePathStyle: true,
      credentials: undefined,
      maxParts: 10_000,
    };
    expect(await latestManifestKey(store.client, settings, 'app')).toBe(
      'postgres/app/2024-02-08T00-00-00Z.manifest.json',
    );
  });

  it('asks which database when the prefix holds several', async () => {
    const target = await startPostgres(17);
    try {
      await bucket.client.send(
        new PutObjectCommand({ Bucket: bucket.name, Key: 'multi/one/x.manifest.json', Body: '{}' }),
      );
      await bucket.client.send(
        new PutObjectCommand({ Bucket: bucket.name, Key: 'multi/two/x.manifest.json', Body: '{}' }),
      );
      const result = await drill(target, 'multi');
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(
        /::error::Input 'database': is not set and the prefix holds backups of several databases \(one, two\): say which one/,
      );
    } finally {
      await target.stop();
    }
  });
});
