import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { seedDataset } from './support/dataset.js';
import { closedLoopbackPort } from './support/network.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

/** A Slack incoming webhook on loopback that records what it is sent. */
async function startWebhook(): Promise<{ url: string; payloads: unknown[]; stop: () => Promise<void> }> {
  const payloads: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      payloads.push(JSON.parse(body));
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T0000/B0000/webhookSecret0123`,
    payloads,
    stop: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

describe('retention and Slack, run as the runner runs the action', () => {
  let server: TestPostgres;
  let bucket: TestBucket;
  let recipient: string;
  let runner: TestRunner;
  let runnerEnv: Record<string, string>;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;

  beforeAll(async () => {
    [runner, server, bucket, webhook] = await Promise.all([
      prepareTestRunner('retention-action'),
      startPostgres(17),
      createTestBucket(),
      startWebhook(),
    ]);
    runnerEnv = {
      ...runner.env,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_RUN_ID: '4242',
    };
    ({ recipient } = runner);
    await seedDataset(server);
  });
  afterAll(async () => {
    await Promise.all([server.stop(), webhook.stop()]);
    await runner.cleanup();
  });

  const backup = (extra: Record<string, string> = {}) =>
    runAction(
      { 'database-url': server.url(), 'age-recipients': recipient, ...bucket.inputs, ...extra },
      runnerEnv,
    );

  /** Old backups of app under `prefix`, as earlier nights left them (manifest and object). */
  async function seedOldBackups(prefix: string, days: number[]): Promise<void> {
    for (const day of days) {
      const at = new Date(Date.UTC(2026, 0, day, 3, 15));
      const base = `${prefix}/app/${at
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/:/g, '-')}`;
      const manifest = JSON.stringify({ format: 1, createdAt: at.toISOString(), database: 'app' });
      await bucket.client.send(
        new PutObjectCommand({ Bucket: bucket.name, Key: `${base}.dump.age`, Body: 'x' }),
      );
      await bucket.client.send(
        new PutObjectCommand({ Bucket: bucket.name, Key: `${base}.manifest.json`, Body: manifest }),
      );
    }
  }

  it('prunes after a successful backup, keeping the newest, and says how many it deleted', async () => {
    await seedOldBackups('kept', [1, 2, 3, 4, 5]);
    const result = await backup({ prefix: 'kept', 'keep-last': '3' });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['pruned-count']).toBe('3');
    const keys = await bucket.keys('kept/');
    expect(keys.filter((key) => key.endsWith('.manifest.json'))).toEqual([
      'kept/app/2026-01-04T03-15-00Z.manifest.json',
      'kept/app/2026-01-05T03-15-00Z.manifest.json',
      result.outputs['manifest-key'],
    ]);
    expect(keys).toContain(result.outputs.key);
    expect(result.stdout).toMatch(/::group::Retention/);
  });

  it('prunes nothing after a failed backup', async () => {
    await seedOldBackups('failed', [1, 2, 3]);
    const before = await bucket.keys('failed/');
    const result = await backup({
      prefix: 'failed',
      'keep-last': '1',
      'pg-dump-args': '--table=no_such_table_here',
    });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(/::error::pg_dump exited with code 1: .*no matching tables were found/);
    expect(await bucket.keys('failed/')).toEqual(before);
    expect(result.outputs['pruned-count']).toBeUndefined();
  });

  it('prunes on its own in mode: prune, and refuses bad rule values', async () => {
    await seedOldBackups('prune', [1, 2, 3, 10, 20]);
    const result = await runAction(
      { mode: 'prune', prefix: 'prune', database: 'app', 'keep-last': '2', ...bucket.inputs },
      runnerEnv,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['pruned-count']).toBe('3');
    expect((await bucket.keys('prune/')).filter((key) => key.endsWith('.manifest.json'))).toHaveLength(2);

    for (const [input, value] of [
      ['keep-daily', '0'],
      ['keep-weekly', '-1'],
      ['keep-monthly', '1.5'],
      ['keep-hourly', '-1'],
      ['keep-yearly', 'abc'],
      ['keep-within', '2 days'],
    ] as const) {
      const bad = await runAction(
        { mode: 'prune', prefix: 'prune', [input]: value, ...bucket.inputs },
        runnerEnv,
      );
      expect(bad.failed).toBe(true);
      expect(bad.stdout).toMatch(new RegExp(`::error::Input '${input}'`));
    }
    const none = await runAction({ mode: 'prune', prefix: 'prune', ...bucket.inputs }, runnerEnv);
    expect(none.stdout).toMatch(
      /::error::Input 'keep-last': and keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly, keep-within are all empty/,
    );
    expect((await bucket.keys('prune/')).filter((key) => key.endsWith('.manifest.json'))).toHaveLength(2);
  });

  it('tells Slack about a failure with the run link, and never leaks the webhook URL', async () => {
    webhook.payloads.length = 0;
    const result = await backup({
      prefix: 'slack',
      'pg-dump-args': '--table=missing',
      'slack-webhook-url': webhook.url,
    });
    expect(result.failed).toBe(true);
    expect(webhook.payloads).toHaveLength(1);
    const text = JSON.stringify(webhook.payloads[0]);
    expect(text).toContain('failed');
    expect(text).toContain('app');
    expect(text).toContain('https://github.com/acme/shop/actions/runs/4242');
    expect(text).toContain('no matching tables were found');
    expect(text).not.toContain(server.password);
    expect(withoutMaskCommands(result.stdout)).not.toContain('webhookSecret0123');
  });

  it('stays quiet on success with notify: failure, reports with always, and nothing with never', async () => {
    webhook.payloads.length = 0;
    expect((await backup({ prefix: 'slack', 'slack-webhook-url': webhook.url })).failed).toBe(false);
    expect(webhook.payloads).toHaveLength(0);
    expect(
      (await backup({ prefix: 'slack', 'slack-webhook-url': webhook.url, notify: 'always' })).failed,
    ).toBe(false);
    expect(webhook.payloads).toHaveLength(1);
    expect(JSON.stringify(webhook.payloads[0])).toContain('succeeded');
    const never = await backup({
      prefix: 'slack',
      'pg-dump-args': '--table=missing',
      'slack-webhook-url': webhook.url,
      notify: 'never',
    });
    expect(never.failed).toBe(true);
    expect(webhook.payloads).toHaveLength(1);
  });

  it('only warns when the webhook is dead', async () => {
    const dead = `http://127.0.0.1:${await closedLoopbackPort()}/services/T1/B1/deadSecret987`;
    const result = await backup({ prefix: 'slack', 'slack-webhook-url': dead, notify: 'always' });
    expect(result.failed, result.stdout).toBe(false);
    expect(result.stdout).toMatch(/::warning::Slack notification failed/);
    expect(withoutMaskCommands(result.stdout)).not.toContain('deadSecret987');
  });
});
