import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionResult, parseOutputFile, runAction } from './support/action-run.js';
import { startAptMirror, type AptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { seedToolCache } from './support/client-wrappers.js';
import { closedLoopbackPort } from './support/network.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';

const execFileAsync = promisify(execFile);

describe('the action, run as the runner runs it', () => {
  let server: TestPostgres;
  let mirror: AptMirror;
  let scratch: string;
  let runnerEnv: Record<string, string>;
  let bucket: TestBucket;
  const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

  beforeAll(async () => {
    [server, mirror, bucket] = await Promise.all([startPostgres(17), startAptMirror(), createTestBucket()]);
    scratch = await mkdtemp(join(tmpdir(), 'action-test-'));
    runnerEnv = { RUNNER_TOOL_CACHE: join(scratch, 'tool-cache'), RUNNER_TEMP: join(scratch, 'temp') };
    await seedToolCache(runnerEnv.RUNNER_TOOL_CACHE!, 17);
  });
  afterAll(async () => {
    await Promise.all([server.stop(), mirror.stop()]);
    await rm(scratch, { recursive: true, force: true });
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
        'pg-apt-mirror': mirror.url,
        'age-recipients': recipient,
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['server-version']).toBe(server.version);
    expect(result.outputs['pg-dump-version']).toMatch(/^17\.\d+$/);
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
      { 'pg-apt-mirror': mirror.url, 'age-recipients': recipient, ...bucket.inputs },
      { ...runnerEnv, DATABASE_URL: server.url() },
    );
    expect(result.failed, result.stdout).toBe(false);
    expect(result.outputs['server-version']).toBe(server.version);
    expectNoPassword(result);
  });

  const badInputs: [string, () => Record<string, string> | Promise<Record<string, string>>, RegExp][] = [
    ['no URL at all', () => ({}), /^::error::Input 'database-url': is empty and DATABASE_URL is not set/m],
    [
      'a malformed URL',
      () => ({ 'database-url': server.url({ params: {} }).replace(`:${server.port}/`, ':port/') }),
      /^::error::Input 'database-url': has a port that is not a number/m,
    ],
    [
      'an unsupported scheme',
      () => ({ 'database-url': server.url().replace(/^postgres:/, 'mysql:') }),
      /^::error::Input 'database-url': has the scheme 'mysql:\/\/', which is not PostgreSQL/m,
    ],
    [
      'a wrong password',
      () => ({ 'database-url': server.url({ password: 'not-the-password-42' }) }),
      /^::error::database-url: password authentication failed for user "backup_admin"/m,
    ],
    [
      'an unknown database',
      () => ({ 'database-url': server.url({ database: 'missing_db' }) }),
      /^::error::database-url: the database "missing_db" does not exist/m,
    ],
    [
      'a closed port',
      async () => ({ 'database-url': server.url({ port: await closedLoopbackPort() }) }),
      /^::error::database-url: connection refused at 127\.0\.0\.1:\d+: no server listens there/m,
    ],
    [
      'a pg-version with a minor',
      () => ({ 'database-url': server.url(), 'pg-version': '16.4' }),
      /^::error::Input 'pg-version': '16\.4' is not a PostgreSQL major version \(give the major only: 16\)/m,
    ],
    [
      'an unknown pg-version',
      () => ({ 'database-url': server.url(), 'pg-version': 'latest' }),
      /^::error::Input 'pg-version': 'latest' is not a PostgreSQL major version/m,
    ],
    [
      'a pg-version older than the server',
      () => ({ 'database-url': server.url(), 'pg-version': '15' }),
      /^::error::Input 'pg-version': 15 is older than the server's major version 17/m,
    ],
    [
      'a mirror that is not http(s)',
      () => ({ 'database-url': server.url(), 'pg-apt-mirror': 'ftp://mirror.example/apt' }),
      /^::error::Input 'pg-apt-mirror': 'ftp:\/\/mirror\.example\/apt' must be an http:\/\/ or https:\/\/ URL/m,
    ],
    [
      'no bucket',
      () => ({ 'database-url': server.url(), bucket: '' }),
      /^::error::Input 'bucket': is required/m,
    ],
    [
      'a bucket URL instead of a name',
      () => ({ 'database-url': server.url(), bucket: 's3://my-bucket/backups' }),
      /^::error::Input 'bucket': 's3:\/\/my-bucket\/backups' is not a bucket name/m,
    ],
    [
      'an endpoint that is not a URL',
      () => ({ 'database-url': server.url(), endpoint: 'r2.example.com' }),
      /^::error::Input 'endpoint': 'r2\.example\.com' is not a URL/m,
    ],
    [
      'a truncated age recipient',
      () => ({ 'database-url': server.url(), 'age-recipients': recipient.slice(0, -3) }),
      /^::error::Input 'age-recipients': .*checksum/m,
    ],
    [
      'an age secret key where a public key belongs',
      () => ({
        'database-url': server.url(),
        'age-recipients': 'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX',
      }),
      /^::error::Input 'age-recipients': this is an age secret key \(AGE-SECRET-KEY-1…\): give its public key/m,
    ],
    [
      'no recipient and no passphrase',
      () => ({ 'database-url': server.url(), 'age-recipients': '' }),
      /^::error::Input 'age-recipients': is empty and no passphrase is set/m,
    ],
    [
      'both recipients and a passphrase',
      () => ({ 'database-url': server.url(), passphrase: 'pass phrase words here' }),
      /^::error::Input 'passphrase': is set together with age-recipients/m,
    ],
    [
      'an unknown mode',
      () => ({ 'database-url': server.url(), mode: 'snapshot' }),
      /^::error::Input 'mode': 'snapshot' is not a mode: use backup, restore, drill or prune/m,
    ],
    [
      'a bad compression',
      () => ({ 'database-url': server.url(), compression: 'brotli:5' }),
      /^::error::Input 'compression': 'brotli:5' is not a valid compression/m,
    ],
    [
      'a forbidden pg-dump-args',
      () => ({ 'database-url': server.url(), 'pg-dump-args': '--file=/tmp/out.dump' }),
      /^::error::Input 'pg-dump-args': '--file=\/tmp\/out\.dump' is not allowed/m,
    ],
    [
      'a bad row-counts',
      () => ({ 'database-url': server.url(), 'row-counts': 'some' }),
      /^::error::Input 'row-counts': 'some' is not one of exact, estimate, off/m,
    ],
    [
      'an access key without its secret',
      () => ({ 'database-url': server.url(), 'secret-access-key': '' }),
      /^::error::Input 'secret-access-key': is empty while access-key-id is set/m,
    ],
  ];

  it.each(badInputs)(
    'fails %s with an error naming the input, and no password',
    async (_name, inputs, expected) => {
      const keysBefore = await bucket.keys();
      const result = await runAction(
        { 'pg-apt-mirror': mirror.url, 'age-recipients': recipient, ...bucket.inputs, ...(await inputs()) },
        runnerEnv,
      );
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(expected);
      expect(result.outputs['pg-dump-version']).toBeUndefined();
      expect(await bucket.keys()).toEqual(keysBefore);
      expectNoPassword(result);
      expectNoPassword(result, 'not-the-password-42');
      expectNoPassword(result, bucket.secretAccessKey);
    },
  );

  it('runs from dist/ under the Actions runtime (Node 24)', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...runnerEnv,
      'INPUT_DATABASE-URL': server.url(),
      'INPUT_PG-APT-MIRROR': mirror.url,
      'INPUT_PG-VERSION': 'auto',
      'INPUT_AGE-RECIPIENTS': recipient,
      ...Object.fromEntries(
        Object.entries(bucket.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
      ),
    };
    const dir = await mkdtemp(join(tmpdir(), 'dist-run-'));
    try {
      env.GITHUB_OUTPUT = join(dir, 'output');
      env.GITHUB_PATH = join(dir, 'path');
      await Promise.all([writeFile(env.GITHUB_OUTPUT, ''), writeFile(env.GITHUB_PATH, '')]);
      const { stdout } = await execFileAsync(process.execPath, ['dist/index.js'], { env });
      expect(withoutMaskCommands(stdout)).not.toContain(server.password);
      const outputs = parseOutputFile(await readFile(env.GITHUB_OUTPUT, 'utf8'));
      expect(outputs['pg-dump-version']).toMatch(/^17\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the test runtime', () => {
  it('is Node 24, the runtime action.yml declares', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
