import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionResult, runAction, runBundledAction } from './support/action-run.js';
import { startAptMirror, type AptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);

describe('the action, run as the runner runs it', () => {
  let server: TestPostgres;
  let mirror: AptMirror;
  let runner: TestRunner;
  let runnerEnv: Record<string, string>;
  let bucket: TestBucket;
  const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

  beforeAll(async () => {
    [runner, server, mirror, bucket] = await Promise.all([
      prepareTestRunner('action-test'),
      startPostgres(17),
      startAptMirror(),
      createTestBucket(),
    ]);
    runnerEnv = { ...runner.env };
  });
  afterAll(async () => {
    await Promise.all([server.stop(), mirror.stop()]);
    await runner.cleanup();
  });

  /** Nothing the action printed or wrote may hold the password, raw or percent-encoded. */
  function expectNoPassword(result: ActionResult, password = server.password): void {
    for (const form of [password, encodeURIComponent(password)]) {
      expect(withoutMaskCommands(result.stdout)).not.toContain(form);
      expect(result.files).not.toContain(form);
    }
  }

  it('puts the client matching the server on PATH and sets its outputs', async () => {
    const result = await runAction(
      {
        'database-url': server.url(),
        ...mirror.inputs,
        'age-recipients': recipient,
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['server-version']).toBe(server.version);
    expect(result.outputs['pg-dump-version']).toMatch(/^17\.\d+$/);
    // The test bed's tool cache holds client 17, which the mirror (serving only 15) has no newer build of.
    expect(result.outputs['pg-dump-source']).toBe('tool-cache');
    expect(result.files).toContain(`pg_dump ${result.outputs['pg-dump-version']} (from the tool cache)`);
    expect(Number(result.outputs['duration-seconds'])).toBeGreaterThanOrEqual(0);
    expect(result.paths).toHaveLength(1);
    expect(result.paths[0]).toContain(join(runnerEnv.RUNNER_TOOL_CACHE!, 'postgresql-client', '17.'));
    const { stdout } = await execFileAsync(join(result.paths[0]!, 'pg_dump'), ['--version']);
    expect(stdout).toMatch(/^pg_dump \(PostgreSQL\) 17\./);
    // Command data escapes % as %25; the runner unescapes it before masking.
    expect(result.stdout).toContain(`::add-mask::${server.password.replaceAll('%', '%25')}`);
    expect(result.stdout).toContain('::group::PostgreSQL server');
    expectNoPassword(result);
  });

  it('reads DATABASE_URL when database-url is not given', async () => {
    const result = await runAction(
      { ...mirror.inputs, 'age-recipients': recipient, ...bucket.inputs },
      { ...runnerEnv, DATABASE_URL: server.url() },
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['server-version']).toBe(server.version);
    expectNoPassword(result);
  });

  it('runs from dist/ under the Actions runtime (Node 24)', async () => {
    const result = await runBundledAction(
      process.execPath,
      {
        'database-url': server.url(),
        ...mirror.inputs,
        'pg-version': 'auto',
        'age-recipients': recipient,
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(result.failed, result.stdout + result.stderr).toBe(false);
    expect(withoutMaskCommands(result.stdout)).not.toContain(server.password);
    expect(result.outputs['pg-dump-version']).toMatch(/^17\./);
  });
});

describe('the test runtime', () => {
  it('is Node 24, the runtime action.yml declares', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
