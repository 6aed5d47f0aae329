/**
 * The heartbeat pings, sent to a real HTTP server on 127.0.0.1: each service's URL for start, success and failure,
 * the failure's reason where the service shows it, and a service that fails (an error status, a closed socket, no
 * answer at all) costing a warning only, one that never quotes the URL or its token.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_PAUSES, RUN_ENV, SHORT_WAIT, silencedStdout } from './support/notify-fixtures.js';

import {
  failureMessage,
  heartbeatRequest,
  type HeartbeatSettings,
  pingHeartbeat,
} from '../src/notify/heartbeat.js';
import type { RunFacts } from '../src/notify/run-facts.js';
import { type ActionResult, runAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { HttpRecorder } from './support/http-recorder.js';
import { closedLoopbackPort } from './support/network.js';
import { expectNoSecrets } from './support/secrets.js';

const UUID = '5f1c2b7e-8d3a-4c1e-9b2f-0a6d7e8f9a1b';
const CRONITOR_KEY = 'cronitorApiKey0123456789abcdef01';
const FAILED: RunFacts = {
  mode: 'backup',
  status: 'failed',
  database: 'shop',
  durationSeconds: 12,
  error: 'pg_dump: error: connection to server at "db" failed: postgres://app:hunter2-pg@db:5432/shop',
};

const service = new HttpRecorder();
const stdout = silencedStdout();

beforeAll(() => service.start());
afterAll(() => service.stop());
beforeEach(() => {
  service.reset();
});

/** For the tests that call a notifier directly: its annotations, kept off the terminal. */
function captureWarnings(): void {
  beforeEach(() => {
    stdout.start();
  });
  afterEach(() => {
    stdout.stop();
  });
}

const { written, warnings } = stdout;

const healthchecks = (): HeartbeatSettings => ({ url: service.url(`/ping/${UUID}`), method: 'healthchecks' });

describe('the pings of each service', () => {
  captureWarnings();

  it('healthchecks: <url>/start, <url>, and a POST to <url>/fail with the reason as its body', async () => {
    await pingHeartbeat(healthchecks(), 'start', undefined, NO_PAUSES);
    await pingHeartbeat(healthchecks(), 'success', undefined, NO_PAUSES);
    await pingHeartbeat(healthchecks(), 'failure', failureMessage(FAILED, RUN_ENV), NO_PAUSES);
    expect(service.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
      `GET /ping/${UUID}/start`,
      `GET /ping/${UUID}`,
      `POST /ping/${UUID}/fail`,
    ]);
    const failure = service.requests[2]!;
    expect(failure.contentType).toBe('text/plain; charset=utf-8');
    expect(failure.body).toBe(
      'Postgres backup failed (shop): pg_dump: error: connection to server at "db" failed: ' +
        'postgres://***@db:5432/shop\nhttps://github.example.com/acme/shop/actions/runs/4242',
    );
    expect(warnings()).toEqual([]);
  });

  it("healthchecks: a slug URL's query stays the query, after the suffix", () => {
    const settings: HeartbeatSettings = {
      url: 'https://hc-ping.com/pingKey0123456789abcd/nightly-backup?create=1',
      method: 'healthchecks',
    };
    expect(heartbeatRequest(settings, 'start')?.url).toBe(
      'https://hc-ping.com/pingKey0123456789abcd/nightly-backup/start?create=1',
    );
    expect(heartbeatRequest(settings, 'failure', 'x')?.url).toBe(
      'https://hc-ping.com/pingKey0123456789abcd/nightly-backup/fail?create=1',
    );
    expect(heartbeatRequest(settings, 'success')?.url).toBe(settings.url);
  });

  it('better-stack: no start ping (Better Stack has none), then <url> or <url>/fail with the reason', async () => {
    const settings: HeartbeatSettings = {
      url: service.url('/api/v1/heartbeat/bsToken0123456789abcd'),
      method: 'better-stack',
    };
    await pingHeartbeat(settings, 'start', undefined, NO_PAUSES);
    expect(service.requests).toEqual([]);
    await pingHeartbeat(settings, 'success', undefined, NO_PAUSES);
    await pingHeartbeat(settings, 'failure', 'the bucket does not exist', NO_PAUSES);
    expect(service.requests.map(({ method, url, body }) => [method, url, body])).toEqual([
      ['GET', '/api/v1/heartbeat/bsToken0123456789abcd', ''],
      ['POST', '/api/v1/heartbeat/bsToken0123456789abcd/fail', 'the bucket does not exist'],
    ]);
  });

  it('cronitor: state=run, complete or fail in the query, the reason as message', async () => {
    const settings: HeartbeatSettings = {
      url: service.url(`/p/${CRONITOR_KEY}/nightly-backup`),
      method: 'cronitor',
    };
    await pingHeartbeat(settings, 'start', undefined, NO_PAUSES);
    await pingHeartbeat(settings, 'success', undefined, NO_PAUSES);
    await pingHeartbeat(settings, 'failure', 'drill failed: 3 tables differ & more', NO_PAUSES);
    expect(service.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
      `GET /p/${CRONITOR_KEY}/nightly-backup?state=run`,
      `GET /p/${CRONITOR_KEY}/nightly-backup?state=complete`,
      `GET /p/${CRONITOR_KEY}/nightly-backup?state=fail&message=drill+failed%3A+3+tables+differ+%26+more`,
    ]);
  });

  it("keeps a long reason within each service's limit, without splitting a character", () => {
    const reason = `${'é'.repeat(6000)} and the rest`;
    const body = heartbeatRequest(healthchecks(), 'failure', reason)!.body!;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(10_000);
    expect(body).toMatch(/^é+…$/);
    const cronitor = heartbeatRequest(
      { url: 'https://cronitor.link/p/k/m', method: 'cronitor' },
      'failure',
      reason,
    )!;
    const message = new URL(cronitor.url).searchParams.get('message')!;
    expect(message.length).toBeLessThanOrEqual(2000);
    expect(message).toMatch(/^é+…$/);
  });

  it('tells the failure without a run link when the GitHub variables are not set', () => {
    expect(failureMessage({ ...FAILED, database: undefined, error: 'no bucket' }, {})).toBe(
      'Postgres backup failed: no bucket',
    );
  });
});

describe('a service that fails costs a warning only, never the URL', () => {
  captureWarnings();

  async function expectOnlyWarning(
    settings: HeartbeatSettings,
    reason: RegExp,
    options = NO_PAUSES,
  ): Promise<void> {
    await expect(pingHeartbeat(settings, 'failure', 'why', options)).resolves.toBeUndefined();
    const [warning, ...others] = warnings();
    expect(others).toEqual([]);
    expect(warning).toMatch(
      new RegExp(
        `^::warning::Heartbeat failure ping failed: the service ${reason.source}\\. The run itself is not affected\\.$`,
      ),
    );
    expect(written()).not.toContain(settings.url);
    expect(written()).not.toContain(UUID);
  }

  it('retries a 500 twice, then warns', async () => {
    service.answer = 500;
    await expectOnlyWarning(healthchecks(), /answered HTTP 500 \(3 attempts\)/);
    expect(service.requests).toHaveLength(3);
  });

  it('does not retry a 404: the URL is wrong', async () => {
    service.answer = 404;
    await expectOnlyWarning(healthchecks(), /answered HTTP 404/);
    expect(service.requests).toHaveLength(1);
  });

  it('retries a connection the service closes unanswered', async () => {
    service.answer = 'close';
    await expectOnlyWarning(healthchecks(), /failed the request \(ECONNRESET\) \(3 attempts\)/);
    expect(service.requests).toHaveLength(3);
  });

  it('gives up on a service that never answers, after its timeout', async () => {
    service.answer = 'hang';
    await expectOnlyWarning(healthchecks(), /gave no answer within 0\.2 s \(3 attempts\)/, SHORT_WAIT);
    expect(service.requests).toHaveLength(3);
  });

  it('warns when nothing listens', async () => {
    const settings: HeartbeatSettings = {
      url: `http://127.0.0.1:${await closedLoopbackPort()}/ping/${UUID}`,
      method: 'healthchecks',
    };
    await expectOnlyWarning(settings, /could not be reached \(ECONNREFUSED\) \(3 attempts\)/);
  });
});

describe('the whole action, run as the runner runs it', () => {
  let bucket: TestBucket;
  const webhookToken = 'webhookToken0123456789abcdefXYZ';
  /** A Teams workflow's URL carries its secret in the query. */
  const signature = 'teamsSignature0123456789ABCDEFabcdef';
  const webhookPath = `/hooks/${webhookToken}?api-version=1&sig=${signature}`;
  beforeAll(async () => {
    bucket = await createTestBucket();
  });

  const run = (inputs: Record<string, string>) =>
    runAction(
      {
        mode: 'prune',
        'keep-last': '1',
        ...bucket.inputs,
        'heartbeat-url': service.url(`/ping/${UUID}`),
        'webhook-url': service.url(webhookPath),
        ...inputs,
      },
      RUN_ENV,
    );

  function expectNothingLeaked(result: ActionResult): void {
    expectNoSecrets(result, [
      service.url(`/ping/${UUID}`),
      UUID,
      service.url(webhookPath),
      webhookToken,
      signature,
      bucket.secretAccessKey,
    ]);
  }

  it('pings the start and the failure, and posts a document that says failed', async () => {
    const result = await run({ bucket: 'no-such-bucket-for-heartbeats' });
    expect(result.failed, result.stdout).toBe(true);
    expect(service.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
      `GET /ping/${UUID}/start`,
      expect.stringMatching(
        new RegExp(`^POST /(ping/${UUID}/fail|hooks/${webhookToken}\\?api-version=1&sig=${signature})$`),
      ),
      expect.stringMatching(
        new RegExp(`^POST /(ping/${UUID}/fail|hooks/${webhookToken}\\?api-version=1&sig=${signature})$`),
      ),
    ]);
    const failure = service.requests.find(({ url }) => url.endsWith('/fail'))!;
    expect(failure.body).toMatch(/^Postgres prune failed: .*no-such-bucket-for-heartbeats.* does not exist/);
    expect(failure.body).toMatch(/\nhttps:\/\/github\.example\.com\/acme\/shop\/actions\/runs\/4242$/);
    const document = JSON.parse(
      service.requests.find(({ url }) => url.startsWith('/hooks/'))!.body,
    ) as unknown;
    expect(document).toMatchObject({ version: 1, status: 'failed', mode: 'prune', databases: [] });
    expect(result.stdout).not.toMatch(/::warning::(Heartbeat|Webhook)/);
    // Masked whole and in the parts a log could quote alone: the token in the path, the signature in the query.
    for (const part of [UUID, webhookToken, signature, `/ping/${UUID}`]) {
      expect(result.stdout).toContain(`::add-mask::${part}\n`);
    }
    expectNothingLeaked(result);
  });

  it('pings the success, and with notify: always posts a document that says succeeded', async () => {
    const result = await run({ database: 'app', notify: 'always' });
    expect(result.failed, result.stdout).toBe(false);
    expect(service.requests.map(({ method, url }) => `${method} ${url}`).sort()).toEqual(
      [`GET /ping/${UUID}/start`, `GET /ping/${UUID}`, `POST ${webhookPath}`].sort(),
    );
    expect(service.requests[0]!.url).toBe(`/ping/${UUID}/start`);
    const document = JSON.parse(
      service.requests.find(({ url }) => url.startsWith('/hooks/'))!.body,
    ) as unknown;
    expect(document).toMatchObject({
      status: 'succeeded',
      mode: 'prune',
      repository: 'acme/shop',
      databases: [{ database: 'app', status: 'succeeded', prunedCount: 0 }],
    });
    expectNothingLeaked(result);
  });
});
