/**
 * Retention against the test run's real S3 server: 400 days of backups of `app` under the prefix `postgres`, next to
 * keys that retention must never touch. The expected survivors are written out by hand from the calendar.
 */
import {
  type DeleteObjectCommandInput,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';

import { planRetention } from '../src/retention/policy.js';
import { pruneBackups, retentionTable } from '../src/retention/prune.js';
import { type BackupKeys, backupKeys } from '../src/storage/object-layout.js';
import { createS3Client, type S3Settings } from '../src/storage/s3-client.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date('2027-01-06T05:00:00Z');

/**
 * Backups at 03:15 every day from Wednesday 2025-12-03 to Wednesday 2027-01-06 (400 days), and four extra runs;
 * before June 2026 they were not encrypted (`.dump`), since then they are (`.dump.age`).
 */
const SERIES = [
  ...dailyAt315('2025-12-03', '2027-01-06'),
  '2026-11-30T22:00:00Z',
  '2026-12-31T23:59:59Z',
  '2027-01-02T12:00:00Z',
  '2027-01-05T21:40:00Z',
];

/** Objects without a manifest: interrupted runs 2 days, exactly 24 h and 1 hour before NOW. */
const OLD_ORPHAN = 'postgres/app/2027-01-04T05-00-00Z.dump';
const YOUNG_ORPHANS = [
  'postgres/app/2027-01-05T05-00-00Z.dump.age',
  'postgres/app/2027-01-06T04-00-00Z.dump.age',
];

/** Keys retention must never touch: other databases, other prefixes, and names that are not the layout. */
const UNTOUCHED = [
  ...['2025-01-01T03-15-00Z', '2025-01-02T03-15-00Z', '2025-01-03T03-15-00Z'].flatMap((time) => [
    `postgres/other/${time}.dump.age`,
    `postgres/other/${time}.manifest.json`,
  ]),
  'postgres/app-old/2025-12-03T03-15-00Z.dump.age',
  'postgres/app-old/2025-12-03T03-15-00Z.manifest.json',
  'postgres-old/app/2025-12-03T03-15-00Z.dump.age',
  'postgres-old/app/2025-12-03T03-15-00Z.manifest.json',
  'other/app/2025-12-03T03-15-00Z.dump.age',
  'other/app/2025-12-03T03-15-00Z.manifest.json',
  'postgres/2025-12-03T03-15-00Z.dump.age',
  'postgres/app/README.txt',
  'postgres/app/2025-12-04T03-15-00Z.dump.age.part',
  'postgres/app/2025-12-04T03-15-00Z.manifest.json.tmp',
  'postgres/app/nested/2025-12-05T03-15-00Z.manifest.json',
  'postgres/app/nested/2025-12-05T03-15-00Z.dump.age',
  'postgres/app/2025-13-03T03-15-00Z.dump',
  'postgres/app/2026-02-30T03-15-00Z.manifest.json',
];

function dailyAt315(first: string, last: string): string[] {
  const times: string[] = [];
  for (let t = Date.parse(`${first}T03:15:00Z`); t <= Date.parse(`${last}T03:15:00Z`); t += DAY_MS) {
    times.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  }
  return times;
}

/** The object and manifest of the backup of `app` made at `iso`. */
function keysAt(iso: string): BackupKeys {
  const createdAt = new Date(iso);
  return backupKeys('postgres', 'app', createdAt, createdAt >= new Date('2026-06-01T00:00:00Z'));
}

function backupKeyList(times: readonly string[]): string[] {
  return times.flatMap((iso) => [keysAt(iso).object, keysAt(iso).manifest]);
}

interface SeededBucket {
  readonly bucket: TestBucket;
  readonly settings: S3Settings;
  /** The action's own client for these settings, used only for pruning. */
  readonly client: S3Client;
  /** DeleteObject keys in the order they were sent. */
  readonly deletes: string[];
  /** The Prefix of every ListObjectsV2 request. */
  readonly listedPrefixes: (string | undefined)[];
}

async function seededBucket(times: readonly string[] = SERIES): Promise<SeededBucket> {
  const bucket = await createTestBucket();
  const bodies = new Map<string, string>();
  for (const iso of times) {
    const { object, manifest } = keysAt(iso);
    bodies.set(object, 'dump');
    bodies.set(
      manifest,
      JSON.stringify({ format: 1, createdAt: iso, database: 'app', object: { key: object } }),
    );
  }
  for (const key of [...UNTOUCHED, OLD_ORPHAN, ...YOUNG_ORPHANS]) bodies.set(key, 'x');
  await putAll(bucket, bodies);
  const settings: S3Settings = {
    bucket: bucket.name,
    prefix: 'postgres',
    endpoint: bucket.inputs.endpoint,
    region: bucket.inputs.region!,
    forcePathStyle: true,
    credentials: { accessKeyId: bucket.inputs['access-key-id']!, secretAccessKey: bucket.secretAccessKey },
    maxParts: 10_000,
  };
  const client = createS3Client(settings);
  return { bucket, settings, client, ...recordRequests(client) };
}

async function putAll(bucket: TestBucket, bodies: ReadonlyMap<string, string>): Promise<void> {
  const entries = [...bodies];
  const worker = async () => {
    for (let entry = entries.pop(); entry; entry = entries.pop()) {
      await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: entry[0], Body: entry[1] }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Records deletes and listings, and lists 100 keys a page so that pruning has to follow the pages. */
function recordRequests(client: S3Client): Pick<SeededBucket, 'deletes' | 'listedPrefixes'> {
  const deletes: string[] = [];
  const listedPrefixes: (string | undefined)[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'DeleteObjectCommand') {
        deletes.push((args.input as DeleteObjectCommandInput).Key!);
      }
      if (context.commandName === 'ListObjectsV2Command') {
        listedPrefixes.push((args.input as ListObjectsV2CommandInput).Prefix);
        return next({ ...args, input: { ...(args.input as ListObjectsV2CommandInput), MaxKeys: 100 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  return { deletes, listedPrefixes };
}

/** Makes the DeleteObject of `key` fail as a missing s3:DeleteObject permission would. */
function refuseDelete(client: S3Client, key: string): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (
        context.commandName === 'DeleteObjectCommand' &&
        (args.input as DeleteObjectCommandInput).Key === key
      ) {
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'refuseDelete', priority: 'high' },
  );
}

function keptTimes(decisions: ReturnType<typeof planRetention>): string[] {
  return decisions
    .filter((decision) => decision.keep)
    .map((decision) => decision.backup.createdAt.toISOString().replace('.000Z', 'Z'));
}

/** Survivors of keep-daily 7 + keep-weekly 4 + keep-monthly 12 (see retention-policy.test.ts for the reasons). */
const DAILY_WEEKLY_MONTHLY = [
  '2027-01-06T03:15:00Z',
  '2027-01-05T21:40:00Z',
  '2027-01-04T03:15:00Z',
  '2027-01-03T03:15:00Z',
  '2027-01-02T12:00:00Z',
  '2027-01-01T03:15:00Z',
  '2026-12-31T23:59:59Z',
  '2026-12-27T03:15:00Z',
  '2026-12-20T03:15:00Z',
  '2026-11-30T22:00:00Z',
  '2026-10-31T03:15:00Z',
  '2026-09-30T03:15:00Z',
  '2026-08-31T03:15:00Z',
  '2026-07-31T03:15:00Z',
  '2026-06-30T03:15:00Z',
  '2026-05-31T03:15:00Z',
  '2026-04-30T03:15:00Z',
  '2026-03-31T03:15:00Z',
  '2026-02-28T03:15:00Z',
];

describe('pruneBackups on S3', () => {
  it('keep-daily 7 + keep-weekly 4 + keep-monthly 12 leaves exactly its survivors and every foreign key', async () => {
    const { bucket, settings, client, deletes, listedPrefixes } = await seededBucket();
    // 404 backups, 7 keys that are not the layout and 3 orphans.
    expect(await bucket.keys('postgres/app/')).toHaveLength(2 * 404 + 7 + 3);

    const result = await pruneBackups(client, settings, 'app', { daily: 7, weekly: 4, monthly: 12 }, NOW);

    expect(keptTimes(result.decisions)).toEqual(DAILY_WEEKLY_MONTHLY);
    expect(result.decisions).toHaveLength(404);
    expect(await bucket.keys()).toEqual(
      [...backupKeyList(DAILY_WEEKLY_MONTHLY), ...UNTOUCHED, ...YOUNG_ORPHANS].sort(),
    );
    expect(result.orphansDeleted).toEqual([OLD_ORPHAN]);
    expect(result.deletedKeys).toHaveLength(2 * (404 - 19));
    expect(deletes).toEqual([...result.deletedKeys, ...result.orphansDeleted]);
    // Only the database's folder was listed, over several pages.
    expect(new Set(listedPrefixes)).toEqual(new Set(['postgres/app/']));
    expect(listedPrefixes.length).toBeGreaterThan(8);
  });

  it("deletes each dropped backup's manifest just before its object, oldest backup first", async () => {
    const { settings, client, deletes } = await seededBucket();

    const result = await pruneBackups(client, settings, 'app', { daily: 7, weekly: 4, monthly: 12 }, NOW);

    const dropped = result.decisions.filter((decision) => !decision.keep).reverse();
    expect(deletes.slice(0, 4)).toEqual([
      keysAt('2025-12-03T03:15:00Z').manifest,
      keysAt('2025-12-03T03:15:00Z').object,
      keysAt('2025-12-04T03:15:00Z').manifest,
      keysAt('2025-12-04T03:15:00Z').object,
    ]);
    expect(deletes.at(-1)).toBe(OLD_ORPHAN);
    expect(deletes.slice(0, -1)).toEqual(
      dropped.flatMap(({ backup }) => [backup.manifestKey, keysAt(backup.createdAt.toISOString()).object]),
    );
    for (const { backup } of dropped) {
      expect(backup.objectKey).toBe(keysAt(backup.createdAt.toISOString()).object);
      expect(deletes.indexOf(backup.manifestKey) + 1).toBe(deletes.indexOf(backup.objectKey!));
    }
  });

  it("deletes a backup's globals with it, and names its dump as its object", async () => {
    const times = ['2026-12-01T03:15:00Z', '2026-12-02T03:15:00Z'];
    const { bucket, settings, client, deletes } = await seededBucket(times);
    const globals = times.map((iso) => keysAt(iso).globals);
    await putAll(bucket, new Map(globals.map((key) => [key, 'globals'])));

    const result = await pruneBackups(client, settings, 'app', { last: 1 }, NOW);

    const older = keysAt(times[0]!);
    expect(result.decisions.find((d) => !d.keep)?.backup.objectKey).toBe(older.object);
    expect(deletes.slice(0, 3)).toEqual([older.manifest, older.object, older.globals]);
    const left = await bucket.keys('postgres/app/2026-12-0');
    const newer = keysAt(times[1]!);
    expect(left).toEqual(expect.arrayContaining([newer.object, newer.globals, newer.manifest]));
    expect(left).not.toContain(older.globals);
  });

  it('keep-last 2 + keep-weekly 3 leaves its survivors, and keep-last 1 then only the newest backup', async () => {
    const { bucket, settings, client } = await seededBucket();

    const first = await pruneBackups(client, settings, 'app', { last: 2, weekly: 3 }, NOW);

    // The two newest runs, and the newest of 2027-W01, 2026-W53 (a Sunday in 2027) and 2026-W52.
    const survivors = [
      '2027-01-06T03:15:00Z',
      '2027-01-05T21:40:00Z',
      '2027-01-03T03:15:00Z',
      '2026-12-27T03:15:00Z',
    ];
    expect(keptTimes(first.decisions)).toEqual(survivors);
    expect(await bucket.keys()).toEqual([...backupKeyList(survivors), ...UNTOUCHED, ...YOUNG_ORPHANS].sort());

    const second = await pruneBackups(client, settings, 'app', { last: 1 }, NOW);

    expect(second.decisions.map((decision) => decision.reasons)).toEqual([['last', 'newest'], [], [], []]);
    expect(second.orphansDeleted).toEqual([]);
    expect(await bucket.keys()).toEqual(
      [...backupKeyList(['2027-01-06T03:15:00Z']), ...UNTOUCHED, ...YOUNG_ORPHANS].sort(),
    );
  });

  it('keep-hourly 4 + keep-within 13h on a day of 3-hourly backups leaves the last 5 runs, in the table too', async () => {
    const times = [
      ...['00', '03', '06', '09', '12', '15', '18', '21'].map((hour) => `2027-01-05T${hour}:00:00Z`),
      '2027-01-06T00:00:00Z',
      '2027-01-06T03:00:00Z',
    ];
    const { bucket, settings, client, deletes } = await seededBucket(times);

    const result = await pruneBackups(client, settings, 'app', { hourly: 4, within: 13 * 3600 }, NOW);

    // 13 hours before 03:00 is 14:00 the day before: 15:00 is within, 12:00 is not.
    const survivors = times.slice(-5).reverse();
    expect(keptTimes(result.decisions)).toEqual(survivors);
    expect(await bucket.keys()).toEqual([...backupKeyList(survivors), ...UNTOUCHED, ...YOUNG_ORPHANS].sort());
    expect(deletes.slice(0, 2)).toEqual([keysAt(times[0]!).manifest, keysAt(times[0]!).object]);
    expect(retentionTable(result.decisions).split('\n').slice(2, 8)).toEqual([
      '| 2027-01-06T03:00:00Z | keep | hourly, within, newest |',
      '| 2027-01-06T00:00:00Z | keep | hourly, within |',
      '| 2027-01-05T21:00:00Z | keep | hourly, within |',
      '| 2027-01-05T18:00:00Z | keep | hourly, within |',
      '| 2027-01-05T15:00:00Z | keep | within |',
      '| 2027-01-05T12:00:00Z | delete |  |',
    ]);
  });

  it('stops at the first failed delete, says what was and was not deleted, and a later run finishes', async () => {
    const times = [
      '2027-01-01T03:15:00Z',
      '2027-01-02T03:15:00Z',
      '2027-01-03T03:15:00Z',
      '2027-01-04T03:15:00Z',
    ];
    const { bucket, settings, client } = await seededBucket(times);
    const [first, second, third] = [keysAt(times[0]!), keysAt(times[1]!), keysAt(times[2]!)];
    refuseDelete(client, second.object);

    const failed = pruneBackups(client, settings, 'app', { last: 1 }, NOW);

    await expect(failed).rejects.toThrow(
      `Retention stopped at the first failed delete: The credentials are not allowed to delete ${second.object} ` +
        `in bucket '${bucket.name}'`,
    );
    await expect(failed).rejects.toThrow(
      `Deleted 3 key(s) before it: ${first.manifest}, ${first.object}, ${second.manifest}. ` +
        `Not deleted: ${second.object}, ${third.manifest}, ${third.object}, ${OLD_ORPHAN}.`,
    );
    const left = await bucket.keys('postgres/app/');
    expect(left).not.toContain(first.object);
    expect(left).not.toContain(second.manifest);
    expect(left).toContain(second.object);
    expect(left).toContain(third.manifest);

    // The half-deleted backup is now an object without a manifest, over a day old: the next run removes it.
    client.middlewareStack.remove('refuseDelete');
    const retried = await pruneBackups(client, settings, 'app', { last: 1 }, NOW);

    expect(retried.deletedKeys).toEqual([third.manifest, third.object]);
    expect(retried.orphansDeleted).toEqual([second.object, OLD_ORPHAN]);
    expect(await bucket.keys()).toEqual(
      [...backupKeyList(['2027-01-04T03:15:00Z']), ...UNTOUCHED, ...YOUNG_ORPHANS].sort(),
    );
  });
});

describe('retentionTable', () => {
  it('has one row per backup, newest first: time, keep or delete, and the rules that kept it', () => {
    const times = ['2027-01-05T03:15:00Z', '2027-01-05T21:40:00Z', '2027-01-06T03:15:00Z'];
    const decisions = planRetention(
      times.map((iso) => {
        const { object, manifest } = keysAt(iso);
        return { manifestKey: manifest, objectKey: object, createdAt: new Date(iso) };
      }),
      { daily: 2 },
    );
    expect(retentionTable(decisions)).toBe(
      [
        '| Backup (UTC) | Action | Kept by |',
        '| --- | --- | --- |',
        '| 2027-01-06T03:15:00Z | keep | daily, newest |',
        '| 2027-01-05T21:40:00Z | keep | daily |',
        '| 2027-01-05T03:15:00Z | delete |  |',
      ].join('\n'),
    );
  });
});
