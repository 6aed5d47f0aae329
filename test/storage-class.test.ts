/**
 * `storage-class` against the test bed's real Ceph radosgw, whose placement target offers STANDARD_IA besides
 * STANDARD (test/support/s3-server.ts) and no other class: the dump goes in the class asked for, the manifest and
 * globals stay in the default one, a class the store lacks fails the bucket check before pg_dump starts, and a
 * drill of an object a lifecycle rule archived says what to do. Ceph cannot archive an object, so S3's answer to
 * reading one (403 InvalidObjectState) comes from a proxy in front of it.
 */
import { HeadObjectCommand, StorageClass } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/shared/manifest.js';
import { parseStorageClass, READABLE_STORAGE_CLASSES } from '../src/storage/object-writes.js';
import { runAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { seedDataset } from './support/dataset.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { expectNoSecrets } from './support/secrets.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

describe('storage-class names', () => {
  it('accepts only classes of the SDK’s list that a drill reads at once, in any case', () => {
    for (const name of READABLE_STORAGE_CLASSES) expect(Object.values(StorageClass)).toContain(name);
    expect(parseStorageClass(' standard_ia ')).toBe('STANDARD_IA');
    expect(parseStorageClass('Glacier_IR')).toBe('GLACIER_IR');
    expect(parseStorageClass('')).toBeUndefined();
  });

  it('refuses the archive classes with the reason, and names the accepted ones for anything else', () => {
    for (const name of ['GLACIER', 'deep_archive']) {
      expect(() => parseStorageClass(name)).toThrow(
        new RegExp(
          `^Input 'storage-class': ${name.toUpperCase()} is an archive class: its objects cannot be read until a ` +
            'RestoreObject request has brought them back, which takes hours, so no drill or restore could read the backup',
        ),
      );
    }
    expect(() => parseStorageClass('EXPRESS_ONEZONE')).toThrow(
      "Input 'storage-class': EXPRESS_ONEZONE is not a class an upload to a general purpose bucket can choose",
    );
    expect(() => parseStorageClass('COLDLINE')).toThrow(
      "Input 'storage-class': 'COLDLINE' is not an S3 storage class: use one of STANDARD, STANDARD_IA, ONEZONE_IA, " +
        "INTELLIGENT_TIERING, GLACIER_IR, REDUCED_REDUNDANCY, or leave it empty for the bucket's default.",
    );
  });
});

describe('storage-class, run as the runner runs the action', () => {
  let runner: TestRunner;
  let server: TestPostgres;
  let mirror: AptMirror;
  let bucket: TestBucket;
  let proxy: FaultProxy;

  beforeAll(async () => {
    runner = await prepareTestRunner('storage-class');
    [server, mirror, bucket] = await Promise.all([startPostgres(17), startAptMirror(), createTestBucket()]);
    proxy = await startFaultProxy(bucket.inputs.endpoint!);
    await seedDataset(server);
  });
  afterAll(async () => {
    await Promise.all([server.stop(), mirror.stop(), proxy.stop()]);
    await runner.cleanup();
  });

  const backup = (extra: Record<string, string>) =>
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

  const storageClassOf = async (key: string) =>
    (await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }))).StorageClass;

  it('stores the dump in the class asked for, and its manifest and globals in the default one', async () => {
    const result = await backup({ prefix: 'ia', 'storage-class': 'standard_ia' });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.stdout).toContain(
      'Storage class STANDARD_IA: accepted for the dump (the manifest and globals stay in the default class)',
    );
    const manifestKey = result.outputs['manifest-key']!;
    const manifest = JSON.parse((await bucket.get(manifestKey)).toString('utf8')) as Manifest;
    expect(manifest.object).toMatchObject({ key: result.outputs.key, storageClass: 'STANDARD_IA' });
    expect(manifest.objectLock).toBeUndefined();
    expect(await storageClassOf(result.outputs.key!)).toBe('STANDARD_IA');
    // S3 names no class for STANDARD, and radosgw follows it.
    expect(await storageClassOf(manifest.globals!.key)).toBeUndefined();
    expect(await storageClassOf(manifestKey)).toBeUndefined();
    expect(result.stdout).not.toMatch(/::warning::storage-class/);
  });

  it('fails the bucket check on a class the store lacks, before pg_dump starts, writing nothing', async () => {
    const before = await bucket.keys();
    const result = await backup({ prefix: 'ia', 'storage-class': 'ONEZONE_IA' });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /^::error::Input 'storage-class': the endpoint http:\/\/127\.0\.0\.1:\d+ refuses the storage class ONEZONE_IA \(InvalidArgument, HTTP 400\) for bucket '[^']+'; nothing was written\./m,
    );
    expect(result.stdout).not.toContain('uploading to s3://');
    expect(await bucket.keys()).toEqual(before);
    expect(await bucket.pendingUploads()).toEqual([]);
  });

  it('says what to do when a drill finds the dump archived (InvalidObjectState)', async () => {
    const stored = await backup({ prefix: 'archived' });
    expect(stored.failed, stored.stdout).toBe(false);
    const key = stored.outputs.key!;
    const path = `/${bucket.name}/${key}`;
    proxy.inject(
      {
        kind: 'error',
        status: 403,
        code: 'InvalidObjectState',
        fields: { StorageClass: 'GLACIER' },
        times: 1,
      },
      (request) => request.method === 'GET' && request.url?.split('?')[0] === path,
    );
    try {
      const drill = await runAction(
        {
          mode: 'drill',
          prefix: 'archived',
          'target-url': server.url({ database: 'postgres' }),
          'age-identity': runner.identity,
          ...mirror.inputs,
          ...bucket.inputs,
          endpoint: proxy.url,
        },
        runner.env,
      );
      expect(drill.failed).toBe(true);
      expect(proxy.faulted()).toBe(1);
      expect(drill.stdout).toMatch(
        new RegExp(
          `^::error::Cannot read ${key}: the object is in GLACIER, which S3 serves only after a restore ` +
            `\\(InvalidObjectState, HTTP 403\\)\\. Restore it first \\(aws s3api restore-object --bucket ${bucket.name} ` +
            `--key ${key} --restore-request '\\{"Days":3\\}'`,
          'm',
        ),
      );
      expectNoSecrets(drill, [bucket.secretAccessKey, server.password]);
    } finally {
      await proxy.heal();
    }
  });
});
