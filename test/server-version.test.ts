import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionUrl } from '../src/postgres/connection-url.js';
import { explainConnectionError, readServerVersion } from '../src/postgres/server-version.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { closedLoopbackPort } from './support/network.js';

const defaults = { user: 'nobody-in-particular', socketDir: '/nonexistent' };
const target = (url: string) => parseConnectionUrl(url, defaults);

async function failure(url: string): Promise<string> {
  try {
    await readServerVersion(target(url));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the connection to fail');
}

describe('readServerVersion against real servers', () => {
  let withSsl: TestPostgres;
  let plain: TestPostgres;

  beforeAll(async () => {
    [withSsl, plain] = await Promise.all([startPostgres(16, { ssl: true, ipv6: true }), startPostgres(15)]);
  });
  afterAll(async () => {
    await Promise.all([withSsl.stop(), plain.stop()]);
  });

  it('reads version and major over TCP with a percent-encoded password', async () => {
    expect(plain.password).toMatch(/[@:/?#%&]/);
    const version = await readServerVersion(target(plain.url({ params: { sslmode: 'disable' } })));
    expect(version).toEqual({
      version: plain.version,
      versionNum: plain.versionNum,
      major: 15,
      fullVersion: plain.fullVersion,
    });
  });

  it('connects to a bracketed IPv6 host', async () => {
    const version = await readServerVersion(target(withSsl.url({ host: '::1' })));
    expect(version.major).toBe(16);
  });

  it('connects through a socket directory given in host=', async () => {
    const url = withSsl.url({ host: '', params: { host: withSsl.socketDir, port: String(withSsl.port) } });
    expect(url).toContain('host=');
    expect((await readServerVersion(target(url))).versionNum).toBe(withSsl.versionNum);
  });

  it('honours sslmode: prefer and require use SSL where offered, prefer falls back where not', async () => {
    expect((await readServerVersion(target(withSsl.url({ params: { sslmode: 'require' } })))).major).toBe(16);
    expect((await readServerVersion(target(withSsl.url({ params: { sslmode: 'prefer' } })))).major).toBe(16);
    expect((await readServerVersion(target(plain.url({ params: { sslmode: 'prefer' } })))).major).toBe(15);
    expect((await readServerVersion(target(plain.url({ params: { sslmode: 'allow' } })))).major).toBe(15);
  });

  it('says so when sslmode=require meets a server without SSL', async () => {
    expect(await failure(plain.url({ params: { sslmode: 'require' } }))).toMatch(
      /does not accept SSL connections, but sslmode=require requires SSL/,
    );
  });

  it('names an untrusted certificate under verify-full', async () => {
    expect(await failure(withSsl.url({ params: { sslmode: 'verify-full' } }))).toMatch(
      /SSL certificate .* was not accepted .*sslrootcert/,
    );
  });

  it('names a wrong password without printing either password', async () => {
    const message = await failure(plain.url({ password: 'Wr0ng-Secret!' }));
    expect(message).toMatch(/password authentication failed for user "backup_admin"/);
    expect(message).not.toContain('Wr0ng-Secret!');
    expect(message).not.toContain(plain.password);
  });

  it('names a missing password', async () => {
    const url = plain.url().replace(`:${encodeURIComponent(plain.password)}@`, '@');
    expect(url).not.toContain(encodeURIComponent(plain.password));
    expect(await failure(url)).toMatch(/asks user "backup_admin" for a password, but the URL has none/);
  });

  it('names an unknown database', async () => {
    expect(await failure(plain.url({ database: 'no_such_db' }))).toMatch(
      /database "no_such_db" does not exist/,
    );
  });

  it('names a closed port', async () => {
    const port = await closedLoopbackPort();
    expect(await failure(plain.url({ port }))).toMatch(
      new RegExp(`connection refused at 127\\.0\\.0\\.1:${port}: no server listens there`),
    );
  });

  it('names a missing socket', async () => {
    expect(await failure(plain.url({ host: '', params: { host: '/tmp/no-such-socket-dir' } }))).toMatch(
      /no server socket at the socket \/tmp\/no-such-socket-dir\/\.s\.PGSQL\.5432/,
    );
  });

  it('tries each host in turn, as libpq does', async () => {
    const closed = await closedLoopbackPort();
    const url = `postgresql://${encodeURIComponent(plain.user)}:${encodeURIComponent(plain.password)}@127.0.0.1:${closed},127.0.0.1:${plain.port}/app`;
    expect((await readServerVersion(target(url))).major).toBe(15);
  });
});

describe('readServerVersion against silent and absent hosts', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('times out with the likely cause when the server never answers', async () => {
    const address = silent.address() as { port: number };
    expect(
      await failure(`postgresql://u:p@127.0.0.1:${address.port}/db?connect_timeout=1&sslmode=disable`),
    ).toMatch(/timed out connecting to 127\.0\.0\.1:\d+: a firewall or an IP allow-list/);
  });

  it('explains a host name that does not resolve', () => {
    // A real lookup would query this machine's off-loopback DNS resolver, so the resolver's answer is given here.
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND db.example.invalid'), { code: 'ENOTFOUND' });
    const parsed = target('postgresql://u:p@db.example.invalid/app');
    expect(explainConnectionError(error, parsed, parsed.hosts[0]!)).toMatch(
      /could not resolve the host "db\.example\.invalid" \(ENOTFOUND\): check the host name/,
    );
  });
});
