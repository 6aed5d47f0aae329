/**
 * Where users' providers bite: an IPv6-only host on a runner without an IPv6 route (Supabase's direct hosts on
 * GitHub-hosted runners), and transaction poolers that cannot share pg_dump's snapshot. The network errors are
 * injected at the socket layer, as Node reports them, so no test sends a packet off loopback.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConnectionUrl } from '../src/postgres/connection-url.js';
import { directConnectionHint } from '../src/postgres/provider-hints.js';
import { readServerVersion } from '../src/postgres/server-version.js';
import { runAction } from './support/action-run.js';
import { createTestBucket } from './support/bucket.js';
import { withoutMaskCommands } from './support/capture.js';
import { prepareTestRunner } from './support/test-runner.js';

const SUPABASE_DIRECT = 'db.abcdefghijklmnopqrst.supabase.co';
const SUPABASE_IPV6 = '2406:da18:243:7413:a3f6:bd8:cd1e:b3f4';

/** Node's error for a connect(2) that the kernel refuses for want of a route. */
function connectError(code: string, address: string, port: number): NodeJS.ErrnoException {
  const error = new Error(`connect ${code} ${address}:${port} - Local (:::0)`) as NodeJS.ErrnoException & {
    address: string;
    port: number;
  };
  error.code = code;
  error.errno = code === 'ENETUNREACH' ? -101 : -99;
  error.syscall = 'connect';
  error.address = address;
  error.port = port;
  return error;
}

/** Makes every socket connect to `host` fail as the kernel would; other connections go on as usual. */
function failConnectsTo(host: string, error: () => Error): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- applied below to the socket it belongs to
  const original = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
    this: net.Socket,
    ...args: unknown[]
  ): net.Socket {
    const [first, second] = args;
    const target = typeof first === 'object' && first !== null ? (first as { host?: string }).host : second;
    if (target !== host) return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    process.nextTick(() => this.destroy(error()));
    return this;
  });
}

const url = (host: string, port = 5432, user = 'postgres') =>
  parseConnectionUrl(`postgresql://${user}:secret-password@${host}:${port}/postgres`, {
    user: 'runner',
    socketDir: '/var/run/postgresql',
  });

/** The error a promise rejects with; a promise that resolves fails the test. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const value = await promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  expect(value, 'expected a failure').toBeInstanceOf(Error);
  return value!;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('an IPv6-only host on a runner without IPv6', () => {
  it("names Supabase's session pooler for a direct Supabase host", async () => {
    failConnectsTo(SUPABASE_DIRECT, () => connectError('ENETUNREACH', SUPABASE_IPV6, 5432));
    const failure = await failureOf(readServerVersion(url(SUPABASE_DIRECT)));
    expect(failure.message).toContain(
      `database-url: the network cannot reach ${SUPABASE_DIRECT}:5432 (ENETUNREACH): ${SUPABASE_IPV6} is an IPv6 address, and this runner has no IPv6 route (GitHub-hosted runners have none).`,
    );
    expect(failure.message).toContain(
      "use the session pooler's connection string instead (in the dashboard, Connect → Session pooler: port 5432 on aws-0-<region>.pooler.supabase.com, user postgres.abcdefghijklmnopqrst)",
    );
    expect(failure.message).not.toContain('secret-password');
  });

  it('reads the address from the first attempt when every address of the host failed', async () => {
    failConnectsTo('db.example.com', () => {
      const aggregate = new AggregateError(
        [
          connectError('EADDRNOTAVAIL', '2001:db8::5', 5432),
          connectError('ENETUNREACH', '2001:db8::6', 5432),
        ],
        '',
      );
      return aggregate;
    });
    const failure = await failureOf(readServerVersion(url('db.example.com')));
    expect(failure.message).toMatch(
      /^database-url: the network cannot reach db\.example\.com:5432 \(EADDRNOTAVAIL\): 2001:db8::5 is an IPv6 address/,
    );
    expect(failure.message).toContain(
      "an IPv4 address (the provider's IPv4 endpoint or pooler in session mode)",
    );
  });

  it('keeps the plain message for an unreachable IPv4 address', async () => {
    failConnectsTo('db.example.com', () => connectError('EHOSTUNREACH', '192.0.2.7', 5432));
    const failure = await failureOf(readServerVersion(url('db.example.com')));
    expect(failure.message).toBe(
      'database-url: the network cannot reach db.example.com:5432 (EHOSTUNREACH): the runner has no route to that address.',
    );
  });

  it('fails the backup step with that message, before anything is written to the bucket', async () => {
    const [runner, bucket] = await Promise.all([prepareTestRunner('provider-hints', []), createTestBucket()]);
    try {
      failConnectsTo(SUPABASE_DIRECT, () => connectError('ENETUNREACH', SUPABASE_IPV6, 5432));
      const result = await runAction(
        {
          'database-url': `postgresql://postgres:secret-password@${SUPABASE_DIRECT}:5432/postgres`,
          'age-recipients': runner.recipient,
          ...bucket.inputs,
        },
        runner.env,
      );
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(
        /^::error::database-url: the network cannot reach db\.abcdefghijklmnopqrst\.supabase\.co:5432 \(ENETUNREACH\): .* Supabase's direct host/m,
      );
      expect(withoutMaskCommands(result.stdout)).not.toContain('secret-password');
      expect(await bucket.keys()).toEqual([]);
    } finally {
      await runner.cleanup();
    }
  });
});

describe('a transaction pooler that cannot share the snapshot', () => {
  const host = (name: string, port: number) => ({ host: name, port });

  it("sends Supabase's transaction pooler (6543) to the session pooler on the same host", () => {
    expect(
      directConnectionHint(
        host('aws-0-eu-central-1.pooler.supabase.com', 6543),
        'postgres.abcdefghijklmnopqrst',
      ),
    ).toBe(
      "port 6543 is Supabase's transaction pooler: use the session pooler, aws-0-eu-central-1.pooler.supabase.com:5432 with user postgres.abcdefghijklmnopqrst (the direct host db.<ref>.supabase.co is IPv6-only, which GitHub-hosted runners cannot reach)",
    );
  });

  it("sends Supabase's dedicated pooler (db.<ref>:6543) to the session pooler", () => {
    expect(directConnectionHint(host(SUPABASE_DIRECT, 6543), 'postgres')).toContain(
      'use the session pooler, aws-0-<region>.pooler.supabase.com:5432 with user postgres.abcdefghijklmnopqrst',
    );
  });

  it("sends Neon's pooled host to its direct host", () => {
    expect(
      directConnectionHint(host('ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech', 5432), 'alex'),
    ).toBe(
      "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech is Neon's pooled host: use the direct host ep-cool-darkness-123456.us-east-2.aws.neon.tech",
    );
  });

  it('tells anyone else to connect to the server, not the pooler', () => {
    expect(directConnectionHint(host('pgbouncer.internal', 6432), 'app')).toBe(
      'connect to the database server itself, not through a pooler in transaction mode (PgBouncer; port 6543 at some providers): pgbouncer.internal:6432 looks like one',
    );
  });
});
