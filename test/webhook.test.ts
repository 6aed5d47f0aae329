/**
 * The plain webhook's JSON document, and the dispatch of a run's end to every channel: the document for a run of
 * one database and of several, with no secret in it; its POST to a real HTTP server on 127.0.0.1; a webhook that
 * fails costing a warning only; `notify` followed by Slack and the webhook but not by the heartbeat.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_PAUSES, RUN_ENV, SHORT_WAIT, silencedStdout } from './support/notify-fixtures.js';

import { type NotificationSettings, notifyEnd, notifyStart } from '../src/notify/dispatch.js';
import type { RunFacts } from '../src/notify/run-facts.js';
import { notifyWebhook, webhookDocument } from '../src/notify/webhook.js';
import { HttpRecorder } from './support/http-recorder.js';
import { forgetMaskedSecrets, maskSecret } from '../src/shared/posted-text.js';

const WEBHOOK_PATH = '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke';
const SIG = 'teamsSignature0123456789abcdefABCDEF';
/** Secrets a runner has in its environment: none may reach the document. */
const SECRET_ENV = {
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  GITHUB_TOKEN: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
  PGPASSWORD: 'hunter2-pg-password',
  DATABASE_URL: 'postgres://app:hunter2-pg-password@db.internal:5432/shop',
};
const ENV = { ...RUN_ENV, ...SECRET_ENV };

const DRILL: RunFacts = {
  mode: 'drill',
  status: 'succeeded',
  database: 'shop',
  key: 'postgres/shop/2026-12-02T03-15-00Z.dump.age',
  backupAgeSeconds: 10_512,
  restoreSeconds: 41.234,
  tablesChecked: 38,
  tablesMismatched: 0,
  durationSeconds: 61.06,
};

const SEVERAL: RunFacts = {
  mode: 'backup',
  status: 'failed',
  durationSeconds: 95.31,
  error:
    '1 of 2 databases failed (the others are stored): crm: connection to postgres://crm:s3cret@db/crm refused',
  databases: [
    {
      database: 'shop',
      status: 'succeeded',
      key: 'postgres/shop/2026-12-02T03-15-00Z.dump.age',
      sizeBytes: 1_048_576,
      prunedCount: 2,
      durationSeconds: 52.84,
    },
    {
      database: 'crm',
      status: 'failed',
      key: undefined,
      durationSeconds: 42.47,
      error: 'connection to postgres://crm:s3cret@db/crm refused',
    },
  ],
};

const webhook = new HttpRecorder();
const heartbeat = new HttpRecorder();
const stdout = silencedStdout();

beforeAll(async () => {
  await Promise.all([webhook.start(), heartbeat.start()]);
});
afterAll(async () => {
  await Promise.all([webhook.stop(), heartbeat.stop()]);
});
beforeEach(() => {
  webhook.reset();
  heartbeat.reset();
  stdout.start();
});
afterEach(() => {
  stdout.stop();
});

const { written, warnings } = stdout;

const webhookUrl = () =>
  webhook.url(`${WEBHOOK_PATH}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`);

function expectNoSecrets(text: string): void {
  for (const secret of [...Object.values(SECRET_ENV), 's3cret', SIG, WEBHOOK_PATH])
    expect(text).not.toContain(secret);
}

describe('webhookDocument', () => {
  it('puts a run of one database in one entry of databases, its times in tenths of a second', () => {
    const document = webhookDocument(DRILL, ENV);
    expect(document).toEqual({
      version: 1,
      status: 'succeeded',
      mode: 'drill',
      repository: 'acme/shop',
      runUrl: 'https://github.example.com/acme/shop/actions/runs/4242',
      durationSeconds: 61.1,
      databases: [
        {
          database: 'shop',
          status: 'succeeded',
          key: 'postgres/shop/2026-12-02T03-15-00Z.dump.age',
          backupAgeSeconds: 10_512,
          restoreSeconds: 41.2,
          tablesChecked: 38,
          tablesMismatched: 0,
          durationSeconds: 61.1,
        },
      ],
    });
    expectNoSecrets(JSON.stringify(document));
  });

  it('lists each database of a run of several, and hides the credentials of URLs in errors', () => {
    const json = JSON.stringify(webhookDocument(SEVERAL, ENV));
    expect(JSON.parse(json)).toEqual({
      version: 1,
      status: 'failed',
      mode: 'backup',
      repository: 'acme/shop',
      runUrl: 'https://github.example.com/acme/shop/actions/runs/4242',
      durationSeconds: 95.3,
      error:
        '1 of 2 databases failed (the others are stored): crm: connection to postgres://***@db/crm refused',
      databases: [
        {
          database: 'shop',
          status: 'succeeded',
          key: 'postgres/shop/2026-12-02T03-15-00Z.dump.age',
          sizeBytes: 1_048_576,
          prunedCount: 2,
          durationSeconds: 52.8,
        },
        {
          database: 'crm',
          status: 'failed',
          durationSeconds: 42.5,
          error: 'connection to postgres://***@db/crm refused',
        },
      ],
    });
    expectNoSecrets(json);
  });

  it('has no database entry when the run failed before it knew which, and no run link outside Actions', () => {
    const document = webhookDocument(
      { mode: 'prune', status: 'failed', durationSeconds: 1, error: 'no bucket' },
      {},
    );
    expect(document).toEqual({
      version: 1,
      status: 'failed',
      mode: 'prune',
      durationSeconds: 1,
      error: 'no bucket',
      databases: [],
    });
  });

  it('keeps a long error within its limit', () => {
    const document = webhookDocument({ ...DRILL, status: 'failed', error: 'x'.repeat(10_000) }, ENV);
    expect(document.error!.length).toBeLessThanOrEqual(4000);
    expect(document.databases[0]!.error!.length).toBeLessThanOrEqual(4000);
  });

  it('has every field the example in docs/notifications.md shows, and the example none it lacks', async () => {
    const page = await readFile(join(import.meta.dirname, '..', 'docs', 'notifications.md'), 'utf8');
    const example = JSON.parse(/## The webhook[\s\S]*?```json\n([\s\S]*?)\n```/.exec(page)![1]!) as {
      databases: Record<string, unknown>[];
    };
    const full = webhookDocument(
      { ...DRILL, status: 'failed', error: 'e', sizeBytes: 1, prunedCount: 0 },
      RUN_ENV,
    ) as unknown as { databases: Record<string, unknown>[] };
    expect(Object.keys(example).sort()).toEqual(Object.keys(full).sort());
    const documented = new Set(example.databases.flatMap((entry) => Object.keys(entry)));
    for (const key of documented) expect(Object.keys(full.databases[0]!), key).toContain(key);
    for (const field of Object.keys(full.databases[0]!)) expect(page, field).toContain(`| \`${field}\``);
  });
});

describe('notifyWebhook', () => {
  it('POSTs the document as JSON', async () => {
    await notifyWebhook(webhookUrl(), SEVERAL, ENV, NO_PAUSES);
    expect(webhook.requests).toHaveLength(1);
    const [request] = webhook.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(new URL(webhookUrl()).pathname + new URL(webhookUrl()).search);
    expect(request!.contentType).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual(JSON.parse(JSON.stringify(webhookDocument(SEVERAL, ENV))));
    expectNoSecrets(request!.body);
    expect(warnings()).toEqual([]);
  });

  it.each([
    [500, /answered HTTP 500 \(3 attempts\)/, 3],
    [404, /answered HTTP 404/, 1],
    ['close', /failed the request \(ECONNRESET\) \(3 attempts\)/, 3],
    ['hang', /gave no answer within 0\.2 s \(3 attempts\)/, 3],
  ] as const)('only warns when the webhook answers %s, without its URL', async (answer, reason, tries) => {
    webhook.answer = answer;
    const options = answer === 'hang' ? SHORT_WAIT : NO_PAUSES;
    await expect(notifyWebhook(webhookUrl(), DRILL, ENV, options)).resolves.toBeUndefined();
    expect(warnings()).toEqual([
      expect.stringMatching(
        new RegExp(`^::warning::Webhook notification failed: the webhook ${reason.source}\\.$`),
      ),
    ]);
    expect(webhook.requests).toHaveLength(tries);
    expectNoSecrets(written());
  });
});

describe('notifyEnd and notifyStart', () => {
  const settings = (notify: NotificationSettings['notify']): NotificationSettings => ({
    notify,
    slackWebhookUrl: undefined,
    webhookUrl: webhookUrl(),
    heartbeat: { url: heartbeat.url('/ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b'), method: 'healthchecks' },
  });
  const FAILED: RunFacts = { ...DRILL, status: 'failed', error: 'the restore failed' };

  it.each([
    ['failure', DRILL, 0, 'GET /ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b'],
    ['failure', FAILED, 1, 'POST /ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b/fail'],
    ['always', DRILL, 1, 'GET /ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b'],
    ['never', FAILED, 0, 'POST /ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b/fail'],
  ] as const)(
    'notify: %s, a run that %s: the webhook as notify says, the heartbeat always',
    async (notify, facts, posts, ping) => {
      await notifyEnd(settings(notify), facts, ENV, NO_PAUSES);
      expect(webhook.requests).toHaveLength(posts);
      expect(heartbeat.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([ping]);
      expect(warnings()).toEqual([]);
    },
  );

  it('posts no row data, setting value or connection password that an error quoted, in any channel', async () => {
    maskSecret('drill-target-password-31415');
    const error = [
      'pg_restore reported 3 errors:',
      '- could not execute query: ERROR:  duplicate key value violates unique constraint "users_email_key" ' +
        'DETAIL:  Key (email)=(ceo@customer.example) already exists. CONTEXT:  COPY users, line 5',
      "  Statement: CREATE SUBSCRIPTION sub CONNECTION 'host=prod.internal password=s3cr3t-sub dbname=app' PUBLICATION p",
      '- ERROR:  invalid value for parameter "app.jwt_secret": "jwt-value-0000" and drill-target-password-31415',
    ].join('\n');
    try {
      await notifyEnd(settings('failure'), { ...FAILED, error }, ENV, NO_PAUSES);
    } finally {
      forgetMaskedSecrets();
    }
    const posted = [webhook.requests[0]!.body, heartbeat.requests[0]!.body].join('\n');
    for (const leak of [
      'ceo@customer.example',
      'COPY users, line 5',
      's3cr3t-sub',
      'jwt-value-0000',
      '31415',
    ]) {
      expect(posted).not.toContain(leak);
    }
    expect(posted).toContain('duplicate key value violates unique constraint \\"users_email_key\\"');
    expect(posted).toContain('DETAIL: (left out: it can quote rows)');
    expect(posted).toContain("CONNECTION '***'");
  });

  it('pings the start, and nothing else, when the run begins', async () => {
    await notifyStart(settings('always'), NO_PAUSES);
    expect(heartbeat.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /ping/5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b/start',
    ]);
    expect(webhook.requests).toEqual([]);
    await notifyStart({ ...settings('always'), heartbeat: undefined }, NO_PAUSES);
    expect(heartbeat.requests).toHaveLength(1);
  });
});
