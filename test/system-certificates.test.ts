/**
 * The system CA store behind a TLS-inspecting proxy (src/shared/system-certificates.ts). A self-hosted runner's
 * proxy forges the certificate of every host the action reaches, signed by a CA that is in the system store and
 * not among Node's bundled roots. Here the proxy is a CONNECT proxy on 127.0.0.1 that tunnels any host to an HTTPS
 * server on 127.0.0.1 holding a certificate for a host name that resolves nowhere, signed by a test CA; the test
 * CA reaches Node's system store only through `SSL_CERT_FILE`, which Node reads on Linux as OpenSSL does. Each
 * probe runs in a Node process of its own (test/support/trust-probe.ts) with nothing else trusted: no
 * NODE_EXTRA_CA_CERTS, and an empty SSL_CERT_DIR.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectProxy, startConnectProxy } from './support/connect-proxy.js';
import { ensureNodeRuntime } from './support/node-runtimes.js';
import { ensureSystemPackages } from './support/system-packages.js';
import { makeTestCa, type TestCa } from './support/test-ca.js';
import type { ProbeResult } from './support/trust-probe.js';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');
const HOST = 'apt.proxy-test.invalid';
const FILE = '/pub/repos/apt/dists/bookworm-pgdg/Release';
const FILE_URL = `https://${HOST}${FILE}`;
const BODY = 'Origin: apt.postgresql.org\n';
/** Node's code when a certificate's issuer is in no trusted list: the server sends its certificate alone. */
const UNTRUSTED = /UNABLE_TO_VERIFY_LEAF_SIGNATURE/;
const S3_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>probe</Message></Error>';

let dir: string;
let emptyDir: string;
let ca: TestCa;
let endpoint: string;
let proxy: ConnectProxy;
/** `METHOD path` of every request the HTTPS server answered. */
const requests: string[] = [];
/** What afterAll undoes, newest first: whatever beforeAll got to before it failed. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  await ensureSystemPackages([{ command: 'openssl', pkg: 'openssl' }]);
  dir = await mkdtemp(join(tmpdir(), 'system-ca-'));
  cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
  emptyDir = join(dir, 'no-certificates');
  await mkdir(emptyDir);
  ca = await makeTestCa(dir, [HOST, 'localhost', '127.0.0.1']);
  const port = await startHttpsServer();
  endpoint = `https://127.0.0.1:${port}`;
  proxy = await startConnectProxy(port);
  cleanups.unshift(() => proxy.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

beforeEach(() => {
  proxy.targets.length = 0;
  requests.length = 0;
});

/** The file server and, for any other path, an S3 store that denies everything: any answer proves TLS worked. */
async function startHttpsServer(): Promise<number> {
  const server = createServer({ cert: ca.cert, key: ca.key }, (request, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    request.resume();
    if (request.url === FILE) response.writeHead(200, { 'content-type': 'text/plain' }).end(BODY);
    else response.writeHead(403, { 'content-type': 'application/xml' }).end(S3_DENIED);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.unshift(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

interface ProbeOptions {
  readonly s3?: boolean;
  readonly node?: string;
  readonly env?: Record<string, string>;
}

/** Runs trust-probe.ts in a fresh process whose only trusted CAs are Node's bundled ones and the system store. */
async function probe(mode: 'trust' | 'plain', options: ProbeOptions = {}): Promise<ProbeResult> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    HTTPS_PROXY: proxy.url,
    SSL_CERT_FILE: ca.caFile,
    SSL_CERT_DIR: emptyDir,
    POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS: '20',
    ...options.env,
  };
  const script = join(root, 'test', 'support', 'trust-probe.ts');
  const args = ['--import', 'tsx', script, mode, FILE_URL, ...(options.s3 ? [endpoint] : [])];
  const { stdout, stderr } = await execFileAsync(options.node ?? process.execPath, args, {
    cwd: root,
    env,
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as ProbeResult;
  } catch {
    throw new Error(`trust-probe printed no result:\n${stdout}${stderr}`);
  }
}

/** Why the trust call changed nothing, or '' when it did change something (or was not made). */
function reasonOf({ trust }: ProbeResult): string {
  return trust && !trust.applied ? trust.reason : '';
}

describe('trusting the system CA store', () => {
  it('downloads through the proxy a file whose certificate only the system store vouches for', async () => {
    const result = await probe('trust');
    expect(result.trust).toEqual({ applied: true, system: 1, added: 1 });
    expect(result.download).toEqual({ body: BODY });
    expect(proxy.targets).toEqual([`${HOST}:443`]);
    expect(requests).toEqual([`GET ${FILE}`]);
  });

  it('fails that download with a certificate error without the call: the system store is what made it work', async () => {
    const result = await probe('plain');
    expect(result.download.error).toMatch(UNTRUSTED);
    expect(result.download.error).toContain(FILE_URL);
    expect(proxy.targets).toEqual([`${HOST}:443`]);
    expect(requests).toEqual([]);
  });

  it('goes around the proxy for a host in NO_PROXY, and then the name resolves nowhere', async () => {
    const result = await probe('trust', { env: { NO_PROXY: HOST } });
    expect(result.download.error).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(proxy.targets).toEqual([]);
    expect(requests).toEqual([]);
  });

  it("lets the action's S3 client reach a store whose certificate only the system store vouches for", async () => {
    const trusted = await probe('trust', { s3: true });
    expect(trusted.s3).toEqual({ status: 403 });
    expect(requests).toContainEqual(expect.stringMatching(/^GET \/probe\/?\?list-type=2/));
    requests.length = 0;
    const plain = await probe('plain', { s3: true });
    expect(plain.s3?.error).toMatch(UNTRUSTED);
    expect(requests.filter((request) => request.startsWith('GET /probe'))).toEqual([]);
  });

  it('changes nothing, and does not fail, when the system store holds no certificates', async () => {
    const result = await probe('trust', { env: { SSL_CERT_FILE: join(dir, 'absent.pem') } });
    expect(reasonOf(result)).toMatch(/^The system CA store holds no certificates/);
    expect(result.download.error).toMatch(UNTRUSTED);
  });

  // The drill composite runs the same bundle under the Node on the runner's PATH.
  it('works the same under Node 22 from PATH', async () => {
    const result = await probe('trust', { node: join(await ensureNodeRuntime(22), 'node') });
    expect(result.trust).toEqual({ applied: true, system: 1, added: 1 });
    expect(result.download).toEqual({ body: BODY });
  });

  it('changes nothing under Node 20, which lacks the APIs, says why, and does not fail', async () => {
    const result = await probe('trust', { node: join(await ensureNodeRuntime(20), 'node') });
    expect(reasonOf(result)).toMatch(/^Node v20\.\S+ lacks tls\.getCACertificates/);
    expect(result.download.error).toMatch(UNTRUSTED);
    expect(proxy.targets).toEqual([`${HOST}:443`]);
  });
});
