/**
 * The fault suite: faults mid-run, each ending with a non-zero exit, a message naming the cause, no manifest for
 * the broken backup, no pending multipart upload, `latest` unchanged and nothing deleted. Run it alone with
 * `npm run test:faults`.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestManifestKey } from '../src/storage/backup-catalog.js';
import { abortPendingUploads, deleteObjectBestEffort } from '../src/storage/streaming-upload.js';
import { type ActionResult, runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { seedDataset, sql } from './support/dataset.js';
import { type FaultProxy, isUploadsListing, startFaultProxy } from './support/fault-proxy.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);

describe('fault suite: faults mid-run', () => {
  let runner: TestRunner;
  let scratch: string;
  let server: TestPostgres;
  let bucket: TestBucket;
  let proxy: FaultProxy;
  let recipient: string;
  let identity: string;
  let runnerEnv: Record<string, string>;
  let goodKey: string;

  beforeAll(async () => {
    runner = await prepareTestRunner('faults');
    scratch = runner.scratch;
    [server, bucket] = await Promise.all([startPostgres(17), createTestBucket()]);
    proxy = await startFaultProxy(bucket.inputs.endpoint!);
    runnerEnv = { ...runner.env, POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS: '3' };
    identity = runner.identity;
    recipient = runner.recipient;
    await seedDataset(server, 'app', 150);
    const first = await backup();
    expect(first.failed, first.stdout).toBe(false);
    goodKey = first.outputs['manifest-key']!;
  });
  afterAll(async () => {
    await proxy.stop();
    await server.stop();
    await runner.cleanup();
  });

  /** A backup through the proxy, uncompressed so the stream spans many parts. */
  function backup(target: TestPostgres = server, env: Record<string, string> = {}): Promise<ActionResult> {
    return runAction(
      {
        'database-url': target.url(),
        'age-recipients': recipient,
        compression: 'none',
        ...bucket.inputs,
        endpoint: proxy.url,
      },
      { ...runnerEnv, ...env },
    );
  }

  const settings = () => ({
    bucket: bucket.name,
    prefix: 'postgres',
    endpoint: bucket.inputs.endpoint,
    region: bucket.inputs.region!,
    forcePathStyle: true,
    credentials: undefined,
    maxParts: 10_000,
  });

  /** Nothing half-done: no new key, no pending upload, the good backup still latest, nothing deleted. */
  async function expectNothingLeft(before: string[]): Promise<void> {
    expect(await bucket.keys()).toEqual(before);
    expect(await bucket.pendingUploads()).toEqual([]);
    expect(await latestManifestKey(bucket.client, settings(), 'app')).toBe(goodKey);
  }

  async function untilPartsUploaded(count: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (proxy.requests.filter((line) => /^PUT .*partNumber=/.test(line)).length < count) {
      if (Date.now() > deadline) throw new Error('no part upload seen');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('retries 500 and 503 answers with backoff and completes the backup', async () => {
    proxy.inject({ kind: 'status', status: 503, times: 2 });
    const first = await backup();
    expect(proxy.faulted()).toBe(2);
    proxy.inject({ kind: 'status', status: 500, times: 2 });
    const second = await backup();
    expect(proxy.faulted()).toBe(4);
    await proxy.heal();
    for (const result of [first, second]) {
      expect(result.failed, result.stdout).toBe(false);
      expect(await bucket.keys()).toContain(result.outputs['manifest-key']);
    }
    goodKey = second.outputs['manifest-key']!;
  });

  it('fails on a network that stalls with no bytes: the stall timeout fires', async () => {
    const before = await bucket.keys();
    proxy.requests.length = 0;
    const running = backup();
    await untilPartsUploaded(1);
    proxy.inject({ kind: 'stall' });
    const result = await running;
    await proxy.heal();
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::.*the upload stalled: no part reached the bucket for 3 s/);
    await expectNothingLeft(before);
  });

  it('fails, and does not hang, when the store stops answering every request (as a full Ceph cluster does)', async () => {
    const before = await bucket.keys();
    proxy.requests.length = 0;
    const running = backup();
    await untilPartsUploaded(1);
    proxy.inject({ kind: 'stall' }, () => true);
    const started = Date.now();
    const result = await running;
    const seconds = (Date.now() - started) / 1000;
    await proxy.heal();
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::.*the upload stalled: no part reached the bucket for 3 s/);
    // The stall (3 s), the writer's own abort (at most 5 s), the sweep and the placeholder's delete (10 s each).
    expect(seconds).toBeLessThan(40);
    // The store answered nothing during the cleanup: once it is back, nothing was completed or deleted, and the
    // reserved key holds no backup (a manifest never appeared).
    expect((await bucket.keys()).filter((key) => key.endsWith('.json'))).toEqual(
      before.filter((key) => key.endsWith('.json')),
    );
    expect(await latestManifestKey(bucket.client, settings(), 'app')).toBe(goodKey);
    // What the dead store kept: at most the reserved key's empty placeholder and the pending upload, which the
    // next backup's retention (orphans after 24 h) or a lifecycle rule removes. Cleared here for the next tests.
    const left = (await bucket.keys()).filter((key) => !before.includes(key));
    expect(left.every((key) => key.endsWith('.dump.age'))).toBe(true);
    await abortPendingUploads(bucket.client, bucket.name, left[0] ?? '');
    for (const key of left) await deleteObjectBestEffort(bucket.client, bucket.name, key);
    await expectNothingLeft(before);
  });

  it('fails when the S3 server goes away mid-upload, and cleans up once it is back', async () => {
    const before = await bucket.keys();
    proxy.requests.length = 0;
    // Only the SDK's retries decide here: the stall watchdog waits longer than they can take.
    const running = backup(server, { POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS: '120' });
    await untilPartsUploaded(1);
    // Back for the first cleanup request (an abort, a listing of pending uploads, a delete): the failure is decided.
    proxy.inject({
      kind: 'down',
      backOn: (request) => request.method === 'DELETE' || isUploadsListing(request),
    });
    const result = await running;
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /::error::Input 'endpoint': could not reach the endpoint http:\/\/127\.0\.0\.1:\d+ \((ECONNREFUSED|ECONNRESET|EPIPE)\)/,
    );
    await expectNothingLeft(before);
  });

  it('fails when the PostgreSQL server stops mid-dump', async () => {
    const doomed = await startPostgres(17);
    try {
      await seedDataset(doomed, 'app', 150);
      const before = await bucket.keys();
      proxy.requests.length = 0;
      const running = backup(doomed);
      await untilPartsUploaded(1);
      await doomed.stop();
      const result = await running;
      expect(result.failed).toBe(true);
      // pg_dump and the row counts' session lose the server at once: whichever reports first names it.
      expect(result.stdout).toMatch(
        /::error::(pg_dump exited with code 1: .*)?(terminating connection|server closed the connection|connection to server)/,
      );
      await expectNothingLeft(before);
    } finally {
      await doomed.stop();
    }
  });

  it('names a full temp disk during a drill, before the target sees a statement', async () => {
    expect(process.getuid?.(), 'mounting a small tmpfs needs root, as the CI runs').toBe(0);
    const small = join(scratch, 'small-temp');
    await mkdir(small);
    await execFileAsync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    const target = await startPostgres(17);
    try {
      const result = await runAction(
        { mode: 'drill', 'target-url': target.url(), 'age-identity': identity, ...bucket.inputs },
        { ...runnerEnv, RUNNER_TEMP: small },
      );
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(
        /::error::The runner's temp disk is full \(writing .*\): the restore needs room/,
      );
      const [tables] = await sql(
        target,
        'app',
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables!.rows[0]).toEqual({ n: 0 });
      expect(withoutMaskCommands(result.stdout)).not.toContain(target.password);
    } finally {
      await target.stop();
      await execFileAsync('umount', [small]);
    }
  });
});
