import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RUN_ENV, silencedStdout } from './support/notify-fixtures.js';

import { notifySlack, shouldNotify, slackPayload, type RunFacts } from '../src/notify/slack.js';

const WEBHOOK_PATH = '/services/T000/B000/secretToken123';
const TOKEN = 'secretToken123';

/** Secrets a runner has in its environment: none may reach Slack. */
const SECRET_ENV = {
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  GITHUB_TOKEN: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
  PGPASSWORD: 'hunter2-pg-password',
  SLACK_WEBHOOK_URL: `https://hooks.slack.com${WEBHOOK_PATH}`,
};
const ENV = { ...RUN_ENV, ...SECRET_ENV };

const FAILED_BACKUP: RunFacts = {
  mode: 'backup',
  status: 'failed',
  database: 'shop_production',
  durationSeconds: 83.2,
  error:
    'pg_dump: error: connection to server at "db.internal" failed: FATAL: password authentication failed',
};

const DRILL: RunFacts = {
  mode: 'drill',
  status: 'succeeded',
  database: 'shop_production',
  key: 'backups/shop_production/2025-01-02T03-04-05Z.dump.zst.age',
  backupAgeSeconds: 93_784,
  restoreSeconds: 42.5,
  tablesMismatched: 0,
  durationSeconds: 61,
};

type Answer = 'ok' | 404 | 500 | 'hang';

/** An incoming webhook on 127.0.0.1 that records the JSON it receives and answers as told. */
class FakeSlack {
  readonly bodies: unknown[] = [];
  answer: Answer = 'ok';
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  }

  async start(): Promise<void> {
    await listen(this.server);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await close(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== WEBHOOK_PATH) {
      response.writeHead(404).end('no_service');
      return;
    }
    this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (this.answer === 'hang') return;
    if (this.answer === 'ok') response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else response.writeHead(this.answer, { 'content-type': 'text/plain' }).end(`failed, see ${request.url}`);
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

const slack = new FakeSlack();
const stdout = silencedStdout();

beforeAll(() => slack.start());
afterAll(() => slack.stop());
beforeEach(() => {
  slack.bodies.length = 0;
  slack.answer = 'ok';
  stdout.start();
});
afterEach(() => {
  stdout.stop();
});

const { written, warnings } = stdout;

/** Every string in a Block Kit payload, header to button URL. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(texts);
  return [];
}

function expectNoSecrets(payload: unknown): void {
  const json = JSON.stringify(payload);
  for (const secret of Object.values(SECRET_ENV)) expect(json).not.toContain(secret);
  expect(json).not.toContain(TOKEN);
  expect(json).not.toMatch(/xox[abposr]-|hooks\.slack\.com|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}/);
}

describe('shouldNotify', () => {
  it.each([
    ['failure', 'failed', true],
    ['failure', 'succeeded', false],
    ['always', 'failed', true],
    ['always', 'succeeded', true],
    ['never', 'failed', false],
    ['never', 'succeeded', false],
  ] as const)('%s on a run that %s → %s', (when, status, expected) => {
    expect(shouldNotify(when, status)).toBe(expected);
  });
});

describe('slackPayload', () => {
  it('tells of a failed backup: status, database, the error in a code block and a link to the run', () => {
    const payload = slackPayload(FAILED_BACKUP, ENV);
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '❌ Postgres backup failed', emoji: true },
    });
    const all = texts(payload.blocks);
    expect(all).toContain('*Database*\n`shop_production`');
    expect(all).toContain('*Duration*\n1m 23s');
    expect(all).toContain(`*Error*\n\`\`\`\n${FAILED_BACKUP.error!}\n\`\`\``);
    expect(payload.blocks).toContainEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'View the workflow run' },
          url: 'https://github.example.com/acme/shop/actions/runs/4242',
        },
      ],
    });
    expect(payload.text).toBe(`❌ Postgres backup failed (shop_production): ${FAILED_BACKUP.error!}`);
    expectNoSecrets(payload);
  });

  it('tells of a successful drill: RPO, RTO, mismatched tables and the backup key', () => {
    const payload = slackPayload(DRILL, ENV);
    expect(payload.blocks[0]).toMatchObject({ text: { text: '✅ Postgres restore drill succeeded' } });
    expect(payload.blocks[1]).toEqual({
      type: 'section',
      fields: [
        '*Database*\n`shop_production`',
        '*Backup age (RPO)*\n1d 2h 3m 4s',
        '*Restore time (RTO)*\n42.5 s',
        '*Tables mismatched*\n0',
        '*Duration*\n1m 1s',
        `*Backup key*\n\`${DRILL.key!}\``,
      ].map((text) => ({ type: 'mrkdwn', text })),
    });
    expect(texts(payload.blocks).some((text) => text.includes('Error'))).toBe(false);
    expect(payload.text).toBe('✅ Postgres restore drill succeeded (shop_production)');
    expectNoSecrets(payload);
  });

  it('shows the size of a backup and the count of pruned backups', () => {
    const backup = texts(slackPayload({ ...DRILL, mode: 'backup', sizeBytes: 1536 }, ENV).blocks);
    expect(backup).toContain('*Backup size*\n1.5 KiB');
    const prune = texts(
      slackPayload({ mode: 'prune', status: 'succeeded', prunedCount: 3, durationSeconds: 2 }).blocks,
    );
    expect(prune).toContain('*Backups pruned*\n3');
  });

  it('lists each database of a run of several with its outcome', () => {
    const several = texts(
      slackPayload(
        {
          mode: 'backup',
          status: 'failed',
          durationSeconds: 9,
          databases: [
            { database: 'app', status: 'succeeded' },
            { database: 'crm', status: 'failed', error: 'no route' },
          ],
        },
        ENV,
      ).blocks,
    );
    expect(several).toContain('*Databases*\n✅ `app`\n❌ `crm`');
  });

  it('leaves out the run link when the GitHub variables are not set', () => {
    for (const missing of Object.keys(RUN_ENV)) {
      const payload = slackPayload(FAILED_BACKUP, { ...ENV, [missing]: undefined });
      expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section']);
    }
  });

  it("escapes Slack's markup, hides URL credentials and keeps a long error within Slack's limits", () => {
    const error =
      `restore of <db> & co failed: postgres://app:${SECRET_ENV.PGPASSWORD}@db:5432/shop\n` +
      'x'.repeat(5000);
    const payload = slackPayload({ ...FAILED_BACKUP, error }, ENV);
    const section = texts(payload.blocks).find((text) => text.startsWith('*Error*'))!;
    expect(section.length).toBeLessThanOrEqual(3000);
    expect(section).toMatch(
      /^\*Error\*\n```\nrestore of &lt;db&gt; &amp; co failed: postgres:\/\/\*\*\*@db:5432\/shop\nx+…\n```$/,
    );
    expect(payload.text.length).toBeLessThanOrEqual(3000);
    expectNoSecrets(payload);
  });
});

describe('notifySlack', () => {
  it('posts the payload to the webhook', async () => {
    await notifySlack(slack.url, FAILED_BACKUP, ENV);
    expect(slack.bodies).toHaveLength(1);
    expect(slack.bodies[0]).toMatchObject(slackPayload(FAILED_BACKUP, ENV));
    expectNoSecrets(slack.bodies[0]);
    expect(warnings()).toEqual([]);
  });

  async function expectOnlyWarning(url: string, reason: RegExp): Promise<void> {
    await expect(notifySlack(url, FAILED_BACKUP, ENV)).resolves.toBeUndefined();
    const [warning, ...others] = warnings();
    expect(others).toEqual([]);
    expect(warning).toMatch(new RegExp(`^::warning::Slack notification failed: ${reason.source}$`));
    expect(written()).not.toContain(url);
    expect(written()).not.toContain(TOKEN);
  }

  it.each([
    [500, /Slack answered HTTP 500/],
    [404, /Slack answered HTTP 404/],
  ] as const)('only warns when Slack answers %s', async (status, reason) => {
    slack.answer = status;
    await expectOnlyWarning(slack.url, reason);
  });

  it("passes on Slack's error code", async () => {
    await expectOnlyWarning(
      slack.url.replace('secretToken123', 'revokedToken'),
      /Slack answered HTTP 404 \(no_service\)/,
    );
  });

  it('only warns when the connection is refused', async () => {
    const closed = createServer();
    await listen(closed);
    const { port } = closed.address() as AddressInfo;
    await close(closed);
    await expectOnlyWarning(`http://127.0.0.1:${port}${WEBHOOK_PATH}`, /the request failed \(ECONNREFUSED\)/);
  });

  it('only warns when the URL is not one', async () => {
    await expectOnlyWarning(`not a url${WEBHOOK_PATH}`, /the request failed \(ERR_INVALID_URL\)/);
  });

  it('gives up on a webhook that never answers after about 10 s', async () => {
    slack.answer = 'hang';
    const started = Date.now();
    await expectOnlyWarning(slack.url, /no answer within 10 s/);
    // Not before its 10 s; that it gives up at all (rather than hang) is the warning above, within this test's time.
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(slack.bodies).toHaveLength(1);
  }, 30_000);
});
