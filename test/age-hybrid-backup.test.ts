/**
 * A backup to post-quantum hybrid recipients, end to end through the whole action in this process: keys made by
 * the age authors' TypeScript implementation (`age-encryption`), the manifest naming each recipient's type, the
 * stored objects opened by that implementation, a drill that restores and checks it with one of the keys, the
 * wrong-key error, and the same backup armored by hand (`age -a` style) restored from its own manifest.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { armor, Decrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBALS_FORMAT } from '../src/shared/globals.js';
import type { Manifest } from '../src/shared/manifest.js';
import { runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { countRows, seedDataset, sql } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { expectNoSecrets } from './support/secrets.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const PREFIX = 'hybrid';

describe('a backup to post-quantum (age1pq1…) recipients', () => {
  let runner: TestRunner;
  let bucket: TestBucket;
  let source: TestPostgres;
  let target: TestPostgres;
  let keys: { identity: string; recipient: string }[];
  let outputs: Record<string, string>;
  let summary: string;
  let manifest: Manifest;

  const theirDecrypt = async (identity: string, file: Buffer) => {
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    return Buffer.from(await decrypter.decrypt(file));
  };

  beforeAll(async () => {
    [runner, bucket, source, target] = await Promise.all([
      prepareTestRunner('age-hybrid-backup'),
      createTestBucket(),
      startPostgres(17),
      startPostgres(17),
    ]);
    await seedDataset(source);
    keys = await Promise.all(
      [1, 2].map(async () => {
        const identity = await generateHybridIdentity();
        return { identity, recipient: await identityToRecipient(identity) };
      }),
    );
    const result = await runAction(
      {
        'database-url': source.url(),
        'age-recipients': keys.map((key) => key.recipient).join('\n'),
        prefix: PREFIX,
        ...bucket.inputs,
      },
      runner.env,
    );
    expect(result.failed, result.stdout).toBe(false);
    outputs = result.outputs;
    summary = result.files;
    manifest = JSON.parse((await bucket.get(outputs['manifest-key']!)).toString('utf8')) as Manifest;
  });
  afterAll(async () => {
    await Promise.all([source.stop(), target.stop()]);
    await runner.cleanup();
  });

  it('records each recipient and its type in the manifest, and says it in the summary', () => {
    expect(summary).toContain('<td>Encryption</td><td>age, post-quantum (mlkem768x25519)</td>');
    expect(manifest.encryption).toEqual({
      type: 'age',
      recipients: keys.map((key) => key.recipient),
      recipientTypes: ['mlkem768x25519', 'mlkem768x25519'],
    });
  });

  it('stores objects that the age authors’ implementation opens with either key', async () => {
    const stored = await bucket.get(outputs.key!);
    expect(stored.toString('latin1', 0, 40)).toMatch(/^age-encryption\.org\/v1\n-> mlkem768x25519 /);
    for (const key of keys) {
      const dump = await theirDecrypt(key.identity, stored);
      expect(dump.length).toBe(manifest.dump.dumpBytes);
      expect(dump.toString('latin1', 0, 5)).toBe('PGDMP');
    }
    const globals = await theirDecrypt(keys[1]!.identity, await bucket.get(manifest.globals!.key));
    expect((JSON.parse(globals.toString('utf8')) as { format: unknown }).format).toBe(GLOBALS_FORMAT);
  });

  it('drills with one of the keys: restored and every table matches', async () => {
    const atBackup = await countRows(source, 'app');
    const result = await runAction(
      {
        mode: 'drill',
        'target-url': target.url(),
        'age-identity': keys[1]!.identity,
        prefix: PREFIX,
        ...bucket.inputs,
      },
      runner.env,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs).toMatchObject({ result: 'passed', 'tables-mismatched': '0', key: outputs.key });
    const restored = await countRows(target, 'app');
    for (const [table, rows] of atBackup) expect(restored.get(table)).toBe(rows);
    expectNoSecrets(result, [keys[1]!.identity.slice('AGE-SECRET-KEY-PQ-1'.length), bucket.secretAccessKey]);
  });

  it('tells a classic key that it does not open the backup, naming both public keys', async () => {
    const result = await runAction(
      {
        mode: 'drill',
        'target-url': target.url(),
        'age-identity': runner.identity,
        prefix: PREFIX,
        ...bucket.inputs,
      },
      runner.env,
    );
    expect(result.failed).toBe(true);
    const [first, second] = keys.map((key) => `${key.recipient.slice(0, 24)}…${key.recipient.slice(-12)}`);
    expect(result.stdout).toContain(
      `::error::Input 'age-identity': does not open this backup: it is encrypted to ${first}, ${second}, and the ` +
        `given key's public key is ${runner.recipient}.`,
    );
  });

  it('restores the same dump armored by hand, from a manifest of its own', async () => {
    const armored = Buffer.from(armor.encode(await bucket.get(outputs.key!)), 'latin1');
    const key = `${PREFIX}/app/2020-01-01T00-00-00Z.dump.age`;
    const copy: Manifest = {
      ...manifest,
      object: { key, sizeBytes: armored.length, sha256: createHash('sha256').update(armored).digest('hex') },
    };
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: armored }));
    await bucket.client.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: `${PREFIX}/app/2020-01-01T00-00-00Z.manifest.json`,
        Body: JSON.stringify(copy),
      }),
    );
    await sql(target, 'postgres', 'CREATE DATABASE from_armor');
    const result = await runAction(
      {
        mode: 'restore',
        'target-url': target.url({ database: 'from_armor' }),
        'age-identity': keys[0]!.identity,
        backup: key,
        prefix: PREFIX,
        ...bucket.inputs,
      },
      runner.env,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect((await countRows(target, 'from_armor')).get('public.orders')).toBe(2000);
  });
});
