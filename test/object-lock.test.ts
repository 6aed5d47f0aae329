/**
 * S3 Object Lock against the test bed's real Ceph radosgw: buckets created with Object Lock (so versioned), backups
 * whose every object carries a retain-until date, retention that keeps what is still locked and removes every
 * version of what is not, and the bucket check's probe, which must never leave a version behind.
 *
 * No test waits for a lock to expire: Ceph refuses a retain-until date in the past, so a lock counts as expired by
 * pruning with a later `now` while the deletes carry x-amz-bypass-governance-retention (GOVERNANCE locks only),
 * which is what the store then lets through as it would once the date has passed.
 */
import { randomBytes } from 'node:crypto';
import {
  type DeleteObjectCommandInput,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/shared/manifest.js';
import { pruneBackups, retentionTable } from '../src/retention/prune.js';
import { latestManifestKey } from '../src/storage/backup-catalog.js';
import { bucketLockState } from '../src/storage/bucket-lock.js';
import { backupKeys } from '../src/storage/object-layout.js';
import type { ObjectLock, ObjectWrites } from '../src/storage/object-writes.js';
import { probeBucket } from '../src/storage/preflight.js';
import { createS3Client, type S3Settings } from '../src/storage/s3-client.js';
import { ensureLocked, inspectStored } from '../src/storage/stored-object.js';
import { deleteObjectBestEffort, uploadStream } from '../src/storage/streaming-upload.js';
import { runAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { seedDataset } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function settingsOf(bucket: TestBucket, writes?: ObjectWrites): S3Settings {
  return {
    bucket: bucket.name,
    prefix: 'postgres',
    endpoint: bucket.inputs.endpoint,
    region: bucket.inputs.region!,
    forcePathStyle: true,
    credentials: { accessKeyId: bucket.inputs['access-key-id']!, secretAccessKey: bucket.secretAccessKey },
    maxParts: 10_000,
    ...(writes ? { writes } : {}),
  };
}

/** Every version and delete marker under `prefix`, as `key@kind` (`object` or `marker`), sorted. */
async function versionsUnder(bucket: TestBucket, prefix: string): Promise<string[]> {
  const listed = await bucket.client.send(
    new ListObjectVersionsCommand({ Bucket: bucket.name, Prefix: prefix }),
  );
  return [
    ...(listed.Versions ?? []).map((version) => `${version.Key!}@object`),
    ...(listed.DeleteMarkers ?? []).map((marker) => `${marker.Key!}@marker`),
  ].sort();
}

/** Writes `key` as the action would, locked when `lock` is given; returns the version id. */
async function put(bucket: TestBucket, key: string, lock?: ObjectLock): Promise<string> {
  const written = await bucket.client.send(
    new PutObjectCommand({
      Bucket: bucket.name,
      Key: key,
      Body: `${key}\n`,
      ...(lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.retainUntil } : {}),
    }),
  );
  return written.VersionId!;
}

/** Whole seconds, as backup keys name times. */
function hoursAgo(hours: number): Date {
  return new Date(Math.floor((Date.now() - hours * 3_600_000) / 1000) * 1000);
}

const utc = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A backup of `app` made at `createdAt`: an empty placeholder version under its dump key (as the key reservation
 * leaves one), then its dump, globals and manifest (`manifest: false`: an interrupted run).
 */
async function seedBackup(bucket: TestBucket, createdAt: Date, lock?: ObjectLock, manifest = true) {
  const keys = backupKeys('postgres', 'app', createdAt, true);
  await bucket.client.send(
    new PutObjectCommand({ Bucket: bucket.name, Key: keys.object, Body: new Uint8Array(0) }),
  );
  await put(bucket, keys.object, lock);
  await put(bucket, keys.globals, lock);
  if (manifest) await put(bucket, keys.manifest, lock);
  return keys;
}

/** Deletes carry the governance bypass: the store then lets them through, as it would once the date has passed. */
function asIfExpired(client: S3Client): S3Client {
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName !== 'DeleteObjectCommand') return next(args);
      const input = { ...(args.input as DeleteObjectCommandInput), BypassGovernanceRetention: true };
      return next({ ...args, input });
    },
    { step: 'initialize', name: 'asIfExpired' },
  );
  return client;
}

describe('Object Lock on the store', () => {
  const inADay = (): ObjectLock => ({ mode: 'GOVERNANCE', retainUntil: new Date(Date.now() + DAY_MS) });

  it('tells a bucket with Object Lock from one without', async () => {
    const [locked, plain] = await Promise.all([createTestBucket({ objectLock: true }), createTestBucket()]);
    const s3 = locked.client;
    expect(await bucketLockState(s3, settingsOf(locked))).toEqual({ enabled: true });
    expect(await bucketLockState(s3, settingsOf(plain))).toEqual({
      enabled: false,
      code: 'ObjectLockConfigurationNotFoundError',
    });
  });

  it('locks a multipart upload, setting its retention afterwards where the store ignored the upload’s lock', async () => {
    const bucket = await createTestBucket({ objectLock: true });
    const settings = settingsOf(bucket);
    const lock = inADay();
    const body = randomBytes(12 * 1024 * 1024);
    await uploadStream({
      client: bucket.client,
      bucket: bucket.name,
      key: 'postgres/app/big.dump.age',
      body: Readable.from([body]),
      partSize: 5 * 1024 * 1024,
      maxParts: 10_000,
      queueSize: 2,
      contentType: 'application/octet-stream',
      lock,
      stallTimeoutMs: 60_000,
      producedBytes: () => body.length,
    });
    const uploaded = await inspectStored(bucket.client, bucket.name, 'postgres/app/big.dump.age');
    const fixed = await ensureLocked(bucket.client, settings, 'postgres/app/big.dump.age', uploaded, lock);
    // Ceph 16 stores a multipart upload unlocked whatever its headers said; later releases lock it.
    expect(fixed).toBe(uploaded.lock === undefined);
    const stored = await inspectStored(bucket.client, bucket.name, 'postgres/app/big.dump.age');
    expect(stored.lock).toEqual(lock);
    expect(stored.sizeBytes).toBe(body.length);
    await expect(
      bucket.client.send(
        new DeleteObjectCommand({
          Bucket: bucket.name,
          Key: 'postgres/app/big.dump.age',
          VersionId: stored.versionId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('probes a locked bucket without leaving a version, and says so when a default retention locks the probe', async () => {
    const writes: ObjectWrites = { storageClass: undefined, objectLock: { mode: 'GOVERNANCE', days: 1 } };
    const clean = await createTestBucket({ objectLock: true });
    expect(await probeBucket(clean.client, settingsOf(clean, writes))).toEqual([
      "Object Lock: enabled; each backup's objects are locked for 1 day(s), GOVERNANCE",
    ]);
    expect(await versionsUnder(clean, '')).toEqual([]);

    const retaining = await createTestBucket({ objectLock: true });
    await retaining.client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: retaining.name,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const notes = await probeBucket(retaining.client, settingsOf(retaining));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^The probe's version \S+ of postgres\/\.probe-[0-9a-f]{16} could not be deleted \(AccessDenied: the bucket's default retention locks new objects/,
    );
    // Hidden from every listing, so never mistaken for a backup; the version stays until its retention ends.
    expect(await retaining.keys()).toEqual([]);
    expect((await versionsUnder(retaining, '')).map((entry) => entry.split('@')[1])).toEqual([
      'marker',
      'object',
    ]);
  });

  it('refuses object-lock-days on a bucket without Object Lock before writing anything', async () => {
    const bucket = await createTestBucket();
    const writes: ObjectWrites = { storageClass: undefined, objectLock: { mode: 'GOVERNANCE', days: 7 } };
    await expect(probeBucket(bucket.client, settingsOf(bucket, writes))).rejects.toThrow(
      new RegExp(
        `^Input 'object-lock-days': the bucket '${bucket.name}' at the endpoint \\S+ does not have S3 Object Lock ` +
          'enabled \\(ObjectLockConfigurationNotFoundError\\), so no backup in it can be locked; nothing was written\\. ' +
          `Create the bucket with it \\(aws s3api create-bucket --bucket ${bucket.name} --object-lock-enabled-for-bucket\\)`,
      ),
    );
    expect(await versionsUnder(bucket, '')).toEqual([]);
  });

  it('keeps a locked backup and deletes every version of an unlocked one, then the locked one once expired', async () => {
    const bucket = await createTestBucket({ objectLock: true });
    const settings = settingsOf(bucket);
    const lock = inADay();
    const locked = await seedBackup(bucket, hoursAgo(96), lock);
    const unlocked = await seedBackup(bucket, hoursAgo(72));
    const lockedOrphan = await seedBackup(bucket, hoursAgo(60), lock, false);
    const newest = await seedBackup(bucket, hoursAgo(48));
    // A delete marker someone's plain DELETE left over the globals of the unlocked backup, and a version under it.
    await bucket.client.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: unlocked.globals }));
    await put(bucket, unlocked.globals);

    const first = await pruneBackups(createS3Client(settings), settings, 'app', { last: 1 });

    expect(first.deletedKeys).toEqual([unlocked.manifest, unlocked.object, unlocked.globals]);
    expect(first.deletedBackups).toBe(1);
    expect(first.orphansDeleted).toEqual([]);
    expect(first.locked).toEqual([
      { createdAt: locked.createdAt, retainUntil: lock.retainUntil, orphan: false },
      { createdAt: lockedOrphan.createdAt, retainUntil: lock.retainUntil, orphan: true },
    ]);
    expect(retentionTable(first.decisions, first.locked).split('\n').slice(2)).toEqual([
      `| ${utc(newest.createdAt)} | keep | last, newest |`,
      `| ${utc(unlocked.createdAt)} | delete |  |`,
      `| ${utc(locked.createdAt)} | locked until ${utc(lock.retainUntil)} |  |`,
    ]);
    // Not a version, not a delete marker of the unlocked backup is left: nothing stays billed.
    for (const key of [unlocked.object, unlocked.globals, unlocked.manifest]) {
      expect(await versionsUnder(bucket, key)).toEqual([]);
    }
    expect(await bucket.keys()).toEqual(
      [locked, lockedOrphan, newest]
        .flatMap((keys) => [keys.object, keys.globals, keys.manifest])
        .filter((key) => key !== lockedOrphan.manifest)
        .sort(),
    );

    const later = new Date(lock.retainUntil.getTime() + 60_000);
    const second = await pruneBackups(
      asIfExpired(createS3Client(settings)),
      settings,
      'app',
      { last: 1 },
      later,
    );

    expect(second.locked).toEqual([]);
    expect(second.deletedKeys).toEqual([locked.manifest, locked.object, locked.globals]);
    expect(second.orphansDeleted).toEqual([lockedOrphan.object, lockedOrphan.globals]);
    expect(await versionsUnder(bucket, 'postgres/')).toEqual(
      [newest.object, newest.object, newest.globals, newest.manifest].map((key) => `${key}@object`).sort(),
    );
    expect(await bucket.keys()).toEqual([newest.object, newest.globals, newest.manifest].sort());
  });

  it('prunes as in any bucket, and says why, when the lock configuration may not be read', async () => {
    const bucket = await createTestBucket();
    const settings = settingsOf(bucket);
    const older = await seedBackup(bucket, hoursAgo(48));
    await seedBackup(bucket, hoursAgo(24));
    const client = createS3Client(settings);
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName !== 'GetObjectLockConfigurationCommand') return next(args);
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      },
      { step: 'initialize', name: 'refuseLockConfiguration' },
    );

    const result = await pruneBackups(client, settings, 'app', { last: 1 });

    expect(result.deletedKeys).toEqual([older.manifest, older.object, older.globals]);
    expect(result.notes).toEqual([
      'Whether the bucket has Object Lock could not be read (AccessDenied), so backups were deleted as in a bucket ' +
        'without it; in a versioned bucket that leaves their data behind delete markers. Grant ' +
        's3:GetBucketObjectLockConfiguration to prune such a bucket by version.',
    ]);
  });

  it('takes a delete-marked manifest for no backup: latest is the backup before it', async () => {
    const bucket = await createTestBucket({ objectLock: true });
    const older = await seedBackup(bucket, hoursAgo(48), inADay());
    const newer = await seedBackup(bucket, hoursAgo(24), inADay());
    await bucket.client.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: newer.manifest }));

    expect(await latestManifestKey(bucket.client, settingsOf(bucket), 'app')).toBe(older.manifest);
    // The locked manifest is still there, only hidden.
    expect(await versionsUnder(bucket, newer.manifest)).toEqual([
      `${newer.manifest}@marker`,
      `${newer.manifest}@object`,
    ]);
  });

  it('cleans up a failed locked backup by version: no delete marker, the locked dump left for retention', async () => {
    const bucket = await createTestBucket({ objectLock: true });
    const keys = backupKeys('postgres', 'app', hoursAgo(1), true);
    await bucket.client.send(
      new PutObjectCommand({ Bucket: bucket.name, Key: keys.object, Body: new Uint8Array(0) }),
    );
    await put(bucket, keys.object, inADay());
    await put(bucket, keys.globals);

    await deleteObjectBestEffort(bucket.client, bucket.name, keys.object, { everyVersion: true });
    await deleteObjectBestEffort(bucket.client, bucket.name, keys.globals, { everyVersion: true });

    expect(await versionsUnder(bucket, 'postgres/')).toEqual([`${keys.object}@object`]);
    const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: keys.object }));
    expect(head.ContentLength).toBeGreaterThan(0);
  });
});

describe('a locked backup, run as the runner runs the action', () => {
  let runner: TestRunner;
  let server: TestPostgres;
  let mirror: AptMirror;
  let locked: TestBucket;
  let plain: TestBucket;

  beforeAll(async () => {
    runner = await prepareTestRunner('object-lock');
    [server, mirror, locked, plain] = await Promise.all([
      startPostgres(17),
      startAptMirror(),
      createTestBucket({ objectLock: true }),
      createTestBucket(),
    ]);
    await seedDataset(server);
  });
  afterAll(async () => {
    await Promise.all([server.stop(), mirror.stop()]);
    await runner.cleanup();
  });

  const backup = (bucket: TestBucket, extra: Record<string, string>) =>
    runAction(
      {
        'database-url': server.url(),
        'age-recipients': runner.recipient,
        ...mirror.inputs,
        ...bucket.inputs,
        ...extra,
      },
      runner.env,
    );

  /** The backup's three objects, each with the lock its current version carries. */
  async function locksOf(bucket: TestBucket, manifestKey: string) {
    const manifest = JSON.parse((await bucket.get(manifestKey)).toString('utf8')) as Manifest;
    const keys = [manifest.object.key, manifest.globals!.key, manifestKey];
    const heads = await Promise.all(
      keys.map((key) => bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }))),
    );
    return {
      manifest,
      locks: heads.map((head) => ({
        mode: head.ObjectLockMode,
        retainUntil: head.ObjectLockRetainUntilDate,
      })),
    };
  }

  it('locks the dump, its globals and its manifest until the backup’s time plus the days, GOVERNANCE by default', async () => {
    const result = await backup(locked, { 'object-lock-days': '1' });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.stdout).toContain(
      "Object Lock: enabled; each backup's objects are locked for 1 day(s), GOVERNANCE",
    );

    const { manifest, locks } = await locksOf(locked, result.outputs['manifest-key']!);
    const retainUntil = new Date(Date.parse(manifest.createdAt) + DAY_MS);
    expect(manifest.objectLock).toEqual({ mode: 'GOVERNANCE', retainUntil: retainUntil.toISOString() });
    expect(locks).toEqual([0, 1, 2].map(() => ({ mode: 'GOVERNANCE', retainUntil })));

    // Retention drops it for a newer backup, and keeps it: still locked, which is no error.
    await seedBackup(locked, new Date(Date.parse(manifest.createdAt) + 3_600_000));
    const before = await locked.keys();
    const pruned = await runAction(
      { mode: 'prune', database: 'app', 'keep-last': '1', ...locked.inputs },
      runner.env,
    );
    expect(pruned.failed, pruned.stdout).toBe(false);
    expect(pruned.outputs['pruned-count']).toBe('0');
    expect(pruned.stdout).toContain(
      `| ${utc(new Date(manifest.createdAt))} | locked until ${utc(retainUntil)} |  |`,
    );
    expect(pruned.stdout).toContain(
      `Kept 1 backup(s) that Object Lock still protects, for a later run to delete: ${utc(new Date(manifest.createdAt))} ` +
        `locked until ${retainUntil.toISOString()}`,
    );
    expect(await locked.keys()).toEqual(before);
  });

  it('locks in COMPLIANCE mode when asked', async () => {
    const result = await backup(locked, {
      prefix: 'compliance',
      'object-lock-days': '1',
      'object-lock-mode': 'compliance',
    });
    expect(result.failed, result.stdout).toBe(false);
    const { manifest, locks } = await locksOf(locked, result.outputs['manifest-key']!);
    expect(manifest.objectLock?.mode).toBe('COMPLIANCE');
    expect(locks.map((lock) => lock.mode)).toEqual(['COMPLIANCE', 'COMPLIANCE', 'COMPLIANCE']);
  });

  it('refuses object-lock-days on a bucket without Object Lock before pg_dump starts, writing nothing', async () => {
    const result = await backup(plain, { 'object-lock-days': '7' });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      new RegExp(
        `^::error::Input 'object-lock-days': the bucket '${plain.name}' at the endpoint \\S+ does not have S3 ` +
          'Object Lock enabled .*put-object-lock-configuration --bucket',
        'm',
      ),
    );
    expect(result.stdout).not.toContain('uploading to s3://');
    expect(await versionsUnder(plain, '')).toEqual([]);
    expect(await plain.pendingUploads()).toEqual([]);
  });
});
