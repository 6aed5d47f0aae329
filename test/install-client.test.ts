import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { actionsCacheStore, type ClientCacheStore } from '../src/installer/actions-cache-store.js';
import { type InstallerOptions, provideClient } from '../src/installer/install-client.js';
import { detectPlatform, type Platform } from '../src/installer/platform.js';
import type { PgClient } from '../src/installer/pg-client.js';
import { readServerVersion } from '../src/postgres/server-version.js';
import { parseConnectionUrl } from '../src/postgres/connection-url.js';
import { type AptMirror, MIRROR_CLIENT, startAptMirror } from './support/apt-mirror.js';
import { makeSigningKey, mirrorSigningKey } from './support/apt-signing.js';
import { captureStdout } from './support/capture.js';
import { ensureWrappedClient, seedToolCache } from './support/client-wrappers.js';
import { closedLoopbackPort } from './support/network.js';
import { startPostgres, type TestMajor, type TestPostgres } from './support/postgres-server.js';

const execFileAsync = promisify(execFile);

/** This machine as the installer sees it; the local mirror serves its `<codename>-pgdg` suite. */
const platform = (): Promise<Platform> => detectPlatform();

/** A per-test runner: an empty tool cache and temp folder, nothing found on the "runner". */
let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'installer-test-'));
  process.env.RUNNER_TOOL_CACHE = join(scratch, 'tool-cache');
  process.env.RUNNER_TEMP = join(scratch, 'temp');
  await mkdir(process.env.RUNNER_TEMP, { recursive: true });
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Every test mirror signs with the tests' mirror key; the installer trusts it as a user's pg-apt-key. */
const trust = { armoredKeys: (await mirrorSigningKey()).armoredPublicKey, name: 'pg-apt-key' };

function options(mirror: string | string[], overrides: Partial<InstallerOptions> = {}): InstallerOptions {
  return {
    mirrors: typeof mirror === 'string' ? [mirror] : mirror,
    trust,
    runnerSearch: { systemRoots: [], pathDirs: [] },
    cacheStore: actionsCacheStore,
    workDir: process.env.RUNNER_TEMP!,
    platform,
    arch: 'x64',
    ...overrides,
  };
}

async function install(serverMajor: number, requested: 'auto' | number, opts: InstallerOptions) {
  const { result, stdout } = await captureStdout(() => provideClient(serverMajor, requested, opts));
  return { client: result, stdout };
}

async function pgDumpVersion(client: PgClient): Promise<string> {
  const { stdout } = await execFileAsync(join(client.binDir, 'pg_dump'), ['--version']);
  return stdout.trim();
}

/** Proves the client really works against the server: a schema-only dump, password through the environment. */
async function dumpSchema(client: PgClient, server: TestPostgres): Promise<string> {
  const { stdout } = await execFileAsync(
    join(client.binDir, 'pg_dump'),
    ['--schema-only', '--host', server.host, '--port', String(server.port), '--username', server.user, 'app'],
    { env: { ...process.env, PGPASSWORD: server.password } },
  );
  return stdout;
}

describe('provideClient against real servers, a local apt mirror and real Debian clients', () => {
  const servers = new Map<TestMajor, TestPostgres>();
  let mirror: AptMirror;

  beforeAll(async () => {
    mirror = await startAptMirror();
    const started = await Promise.all(([14, 15, 16, 17, 18] as const).map((major) => startPostgres(major)));
    for (const server of started) servers.set(server.major, server);
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await mirror.stop();
  });

  async function serverMajor(major: TestMajor): Promise<number> {
    const url = servers.get(major)!.url({ params: { sslmode: 'disable' } });
    return (await readServerVersion(parseConnectionUrl(url, { user: 'x', socketDir: '/tmp' }))).major;
  }

  it('installs client 15 for server 15 from the mirror into an empty tool cache, then hits the tool cache', async () => {
    const major = await serverMajor(15);
    expect(major).toBe(15);

    const coldStart = performance.now();
    const cold = await install(major, 'auto', options(mirror.url));
    const coldSeconds = (performance.now() - coldStart) / 1000;
    expect(cold.client).toMatchObject({ major: 15, source: 'apt repository' });
    expect(cold.client.binDir.startsWith(process.env.RUNNER_TOOL_CACHE!)).toBe(true);
    expect(await pgDumpVersion(cold.client)).toMatch(/^pg_dump \(PostgreSQL\) 15\.\d+/);
    expect(await dumpSchema(cold.client, servers.get(15)!)).toContain('PostgreSQL database dump');
    expect(mirror.requests).toEqual(
      expect.arrayContaining([
        `/dists/${mirror.codename}-pgdg/InRelease`,
        `/dists/${mirror.codename}-pgdg/main/binary-amd64/Packages.gz`,
        expect.stringMatching(/^\/pool\/.*postgresql-client-15_.*_amd64\.deb$/),
        expect.stringMatching(/^\/pool\/.*libpq5_.*_amd64\.deb$/),
      ]),
    );
    expect(cold.stdout).toMatch(/The Actions cache service is not available/);

    const requestsBefore = mirror.requests.length;
    const warmStart = performance.now();
    const warm = await install(major, 'auto', options(mirror.url));
    const warmSeconds = (performance.now() - warmStart) / 1000;
    expect(warm.client).toMatchObject({ major: 15, source: 'tool cache', binDir: cold.client.binDir });
    // Only the signed release, to learn that the index the client came from is still the one it lists.
    expect(mirror.requests.slice(requestsBefore)).toEqual([`/dists/${mirror.codename}-pgdg/InRelease`]);
    console.log(
      `client 15: cold install from the local mirror ${coldSeconds.toFixed(2)} s, tool-cache hit ${warmSeconds.toFixed(3)} s`,
    );
  });

  it.each([17, 18] as const)(
    'gives server %i a client of exactly its major from the tool cache',
    async (want) => {
      await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 17);
      await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 18);
      const major = await serverMajor(want);
      expect(major).toBe(want);
      const { client, stdout } = await install(major, 'auto', options(mirror.url));
      expect(client).toMatchObject({ major: want, source: 'tool cache' });
      expect(await pgDumpVersion(client)).toMatch(new RegExp(`^pg_dump \\(PostgreSQL\\) ${want}\\.\\d+`));
      expect(await dumpSchema(client, servers.get(want)!)).toContain('PostgreSQL database dump');
      expect(stdout).not.toContain('::warning');
    },
  );

  it('gives server 14 the nearest newer client (15, from the mirror) with a warning that says why', async () => {
    await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 17);
    const major = await serverMajor(14);
    const { client, stdout } = await install(major, 'auto', options(mirror.url));
    expect(client).toMatchObject({ major: 15, source: 'apt repository' });
    expect(stdout).toMatch(
      /::warning title=pg_dump 15 used for a PostgreSQL 14 server::No pg_dump 14 is available/,
    );
    expect(stdout).toContain(`has no postgresql-client-14 in ${mirror.codename}-pgdg`);
    expect(await dumpSchema(client, servers.get(14)!)).toContain('PostgreSQL database dump');
  });

  it('gives server 16 the nearest newer client (17, from the tool cache) with a warning, never an older one', async () => {
    await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 17);
    await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 18);
    const major = await serverMajor(16);
    const { client, stdout } = await install(major, 'auto', options(mirror.url));
    expect(client).toMatchObject({ major: 17, source: 'tool cache' });
    expect(stdout).toMatch(/::warning title=pg_dump 17 used for a PostgreSQL 16 server::/);
    expect(await dumpSchema(client, servers.get(16)!)).toContain('PostgreSQL database dump');
  });

  it('refuses an explicit pg-version older than the server, explaining the mismatch', async () => {
    const error = await provideClient(17, 15, options(mirror.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^Input 'pg-version': 15 is older than the server's major version 17\. pg_dump 15 refuses to dump a PostgreSQL 17 server \("server version mismatch"\)/,
    );
  });

  it('installs an explicit newer pg-version when asked', async () => {
    await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 18);
    const { client } = await install(17, 18, options(mirror.url));
    expect(client.major).toBe(18);
  });

  it('fails an explicit pg-version that no source has, naming each source', async () => {
    const error = await provideClient(15, 16, options(mirror.url)).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /Input 'pg-version': no PostgreSQL 16 client could be installed: not on the runner; not in the tool cache; not in the Actions cache; .*has no postgresql-client-16/,
    );
  });

  it('finds a client of the right major already on the runner, in <root>/<major>/bin or on PATH', async () => {
    const root = join(scratch, 'usr-lib-postgresql');
    await mkdir(root);
    await symlink((await ensureWrappedClient(17)).dir, join(root, '17'));
    const runnerSearch = {
      systemRoots: [root],
      pathDirs: [join((await ensureWrappedClient(18)).dir, 'bin')],
    };
    const requestsBefore = mirror.requests.length;
    const seventeen = await install(17, 'auto', options(mirror.url, { runnerSearch }));
    expect(seventeen.client).toMatchObject({ major: 17, source: 'runner', binDir: join(root, '17', 'bin') });
    const eighteen = await install(18, 'auto', options(mirror.url, { runnerSearch }));
    expect(eighteen.client).toMatchObject({ major: 18, source: 'runner' });
    expect(mirror.requests.length).toBe(requestsBefore);
  });

  it("passes over a runner's client older than the server it dumps, and uses it only when nothing newer can be had", async () => {
    const root = join(scratch, 'older-runner');
    await mkdir(root);
    await symlink((await ensureWrappedClient(17)).dir, join(root, '17'));
    const runnerSearch = { systemRoots: [root], pathDirs: [] };
    const runnerVersion = (await ensureWrappedClient(17)).version;
    const current = await captureStdout(() =>
      provideClient(17, 'auto', options(mirror.url, { runnerSearch }), runnerVersion),
    );
    expect(current.result).toMatchObject({ major: 17, source: 'runner' });
    // The mirror serves no 17: the runner's older build is the only one, used with a warning that says why.
    const older = await captureStdout(() =>
      provideClient(17, 'auto', options(mirror.url, { runnerSearch }), '17.99'),
    );
    expect(older.result).toMatchObject({ major: 17, source: 'runner' });
    expect(older.stdout).toContain(
      `The runner's pg_dump ${runnerVersion} is older than 17.99, so a newer build`,
    );
    expect(older.stdout).toMatch(
      new RegExp(
        `::warning title=Kept pg_dump ${runnerVersion} used::.*being older than 17\\.99 it can write SQL`,
      ),
    );
  });

  it("does not start Debian's pg_wrapper on PATH: the versioned folders it dispatches to are probed instead", async () => {
    const root = join(scratch, 'wrapper-root');
    const bin = join(root, 'bin');
    await mkdir(join(root, 'share'), { recursive: true });
    await mkdir(bin);
    const ran = join(root, 'ran');
    await writeFile(
      join(root, 'share', 'pg_wrapper'),
      `#!/bin/sh\ntouch '${ran}'\necho 'pg_dump (PostgreSQL) 17.1'\n`,
      {
        mode: 0o755,
      },
    );
    for (const program of ['pg_dump', 'pg_restore', 'psql']) {
      await symlink('../share/pg_wrapper', join(bin, program));
    }
    const versioned = join(scratch, 'wrapper-versioned');
    await mkdir(versioned);
    await symlink((await ensureWrappedClient(17)).dir, join(versioned, '17'));
    const runnerSearch = { systemRoots: [versioned], pathDirs: [bin] };
    const found = await install(17, 'auto', options(mirror.url, { runnerSearch }));
    expect(found.client).toMatchObject({ major: 17, source: 'runner', binDir: join(versioned, '17', 'bin') });
    await expect(readdir(root)).resolves.not.toContain('ran');
  });

  it('restores from the Actions cache layer before downloading, and fills it after a download', async () => {
    const saved = new Map<string, string>();
    const store: ClientCacheStore = {
      restore: async (dir, key, restoreKeys) => {
        const hit = saved.has(key)
          ? key
          : [...saved.keys()].find((stored) => restoreKeys.some((prefix) => stored.startsWith(prefix)));
        if (!hit) return undefined;
        await cp(saved.get(hit)!, dir, { recursive: true, verbatimSymlinks: true });
        return hit;
      },
      save: async (dir, key) => {
        const copy = join(scratch, 'actions-cache', key);
        await cp(dir, copy, { recursive: true, verbatimSymlinks: true });
        saved.set(key, copy);
      },
    };
    const first = await install(15, 'auto', options(mirror.url, { cacheStore: store }));
    expect(first.client.source).toBe('apt repository');
    const { distro, codename } = await platform();
    const version = mirror.packages.find((pkg) => pkg.name === MIRROR_CLIENT)!.version;
    expect([...saved.keys()]).toEqual([`postgresql-client-15-${distro}-${codename}-amd64-v3-${version}`]);

    // A new runner: empty tool cache, and a mirror that no longer answers.
    process.env.RUNNER_TOOL_CACHE = join(scratch, 'tool-cache-2');
    const unreachable = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const second = await install(15, 'auto', options(unreachable, { cacheStore: store }));
    expect(second.client).toMatchObject({ major: 15, source: 'Actions cache' });
    expect(second.client.binDir.startsWith(join(scratch, 'tool-cache-2'))).toBe(true);
    expect(await pgDumpVersion(second.client)).toMatch(/PostgreSQL\) 15\./);
  });

  it('treats a failing Actions cache service as a warning, never a failure', async () => {
    process.env.ACTIONS_CACHE_URL = `http://127.0.0.1:${await closedLoopbackPort()}/`;
    process.env.ACTIONS_RUNTIME_TOKEN = 'test-token';
    try {
      const { client, stdout } = await install(15, 'auto', options(mirror.url));
      expect(client).toMatchObject({ major: 15, source: 'apt repository' });
      expect(stdout).toMatch(/::warning::/);
    } finally {
      delete process.env.ACTIONS_CACHE_URL;
      delete process.env.ACTIONS_RUNTIME_TOKEN;
    }
  });
});

describe('provideClient with a signed repository', () => {
  const toolCacheEntries = () => readdir(process.env.RUNNER_TOOL_CACHE!).catch(() => []);

  it.each([
    [
      'a Packages index that differs from the one the release lists',
      { tamper: 'packages' },
      /Packages\.gz does not match the signed release: SHA-256 [0-9a-f]{64}/,
    ],
    [
      'an InRelease changed after signing',
      { tamper: 'release' },
      /the signature of .*\/InRelease does not verify with the trusted key [0-9A-F]{40}: Signed digest did not match/,
    ],
    [
      'a release signed by another key',
      { key: 'other' },
      /the signature of .*\/InRelease does not verify with the trusted key [0-9A-F]{40}: Could not find signing key with key ID [0-9a-f]{16}/,
    ],
    [
      'an unsigned release',
      { signing: 'unsigned' },
      /\/Release is not signed: the repository serves neither InRelease nor Release\.gpg/,
    ],
    [
      'a release signed by a key that has expired',
      { key: 'expired' },
      /does not verify with the trusted key [0-9A-F]{40}: the key [0-9A-F]{40} expired on \d{4}-/,
    ],
    [
      'a release past its Valid-Until',
      { validUntil: new Date(Date.now() - 60_000) },
      /the signed release .* expired on .* \(Valid-Until\)/,
    ],
    [
      'a release whose Valid-Until is no date',
      { validUntil: 'someday' },
      /the signed release .* has a Valid-Until that is no date: "someday"/,
    ],
    [
      "another suite's release, signed by the same key, served in this suite's place",
      { claimedSuite: 'buster-pgdg' },
      /the signed release .*\/dists\/\w+-pgdg is not the suite \w+-pgdg: it names "buster-pgdg" and "buster-pgdg" \(Suite, Codename\), so it was served in another suite's place/,
    ],
  ] as const)('refuses %s, installing nothing', async (_what, variant, reason) => {
    const key =
      'key' in variant
        ? await makeSigningKey(variant.key, { expired: variant.key === 'expired' })
        : undefined;
    const served = await startAptMirror({
      ...('tamper' in variant ? { tamper: variant.tamper } : {}),
      ...('signing' in variant ? { signing: variant.signing } : {}),
      ...('validUntil' in variant ? { validUntil: variant.validUntil } : {}),
      ...('claimedSuite' in variant ? { claimedSuite: variant.claimedSuite } : {}),
      // An expired key is the one trusted; another key signs while the mirror's own key is trusted.
      ...(key ? { key } : {}),
    });
    try {
      const trusted =
        key && 'key' in variant && variant.key === 'expired'
          ? { trust: { armoredKeys: key.armoredPublicKey, name: 'pg-apt-key' } }
          : {};
      const error = await provideClient(15, 15, options(served.url, trusted)).catch(
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        /pg-apt-mirror http:\/\/127\.0\.0\.1:\d+: refused, nothing was installed from it: /,
      );
      expect((error as Error).message).toMatch(reason);
      expect(served.requests.filter((path) => path.startsWith('/pool/'))).toEqual([]);
      expect(await toolCacheEntries()).toEqual([]);
    } finally {
      await served.stop();
    }
  });

  it('verifies Release with its detached Release.gpg where there is no InRelease', async () => {
    const served = await startAptMirror({ signing: 'detached' });
    try {
      const { client, stdout } = await install(15, 15, options(served.url));
      expect(client).toMatchObject({ major: 15, source: 'apt repository' });
      const suite = `/dists/${served.codename}-pgdg`;
      expect(served.requests.slice(0, 3)).toEqual([
        `${suite}/InRelease`,
        `${suite}/Release`,
        `${suite}/Release.gpg`,
      ]);
      expect(stdout).toContain(`index signed by ${(await mirrorSigningKey()).fingerprint}`);
    } finally {
      await served.stop();
    }
  });

  it('replaces a kept client when the signed index lists a newer build of its major', async () => {
    const served = await startAptMirror();
    try {
      const first = await install(15, 15, options(served.url));
      expect(first.client.source).toBe('apt repository');
      const kept = served.packages.find((pkg) => pkg.name === MIRROR_CLIENT)!.version;
      const newer = `${kept}.1`;
      await served.republish(newer);
      const second = await install(15, 15, options(served.url));
      expect(second.stdout).toMatch(
        /The tool cache holds pg_dump 15\.\d+, and .* lists a newer build: updating/,
      );
      expect(second.client.source).toBe('apt repository');
      expect(second.stdout).toContain(`Downloading ${MIRROR_CLIENT} ${newer}`);
      const third = await install(15, 15, options(served.url));
      expect(third.client.source).toBe('tool cache');
    } finally {
      await served.stop();
    }
  });

  it('uses a kept client with a warning naming its version when the repository cannot be read', async () => {
    const served = await startAptMirror();
    const first = await install(15, 15, options(served.url));
    await served.stop();
    const unreachable = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const second = await install(15, 15, options(unreachable));
    expect(second.client).toMatchObject({ source: 'tool cache', binDir: first.client.binDir });
    expect(second.stdout).toMatch(
      new RegExp(
        `::warning::Could not check .* for a newer PostgreSQL 15 client \\(pg-apt-mirror http://127\\.0\\.0\\.1:\\d+: .*ECONNREFUSED.*\\), so the kept pg_dump ${second.client.version.replace('.', '\\.')} from the tool cache is used\\.`,
      ),
    );
  });
});

describe('provideClient when a source fails', () => {
  it('refuses a package whose SHA-256 differs from the index, and installs nothing', async () => {
    const tampered = await startAptMirror({ tamper: 'deb' });
    try {
      const error = await provideClient(15, 'auto', options(tampered.url)).catch((e: unknown) => e as Error);
      expect((error as Error).message).toMatch(
        /SHA-256 mismatch for http:\/\/127\.0\.0\.1:\d+\/pool\/.*postgresql-client-15_.*\.deb: the repository index says [0-9a-f]{64}, the downloaded file is [0-9a-f]{64}/,
      );
      expect(await readdir(process.env.RUNNER_TOOL_CACHE!).catch(() => [])).toEqual([]);
    } finally {
      await tampered.stop();
    }
  });

  it('falls back to a newer local client with a warning when the mirror does not answer', async () => {
    await seedToolCache(process.env.RUNNER_TOOL_CACHE!, 17);
    const unreachable = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const { client, stdout } = await install(15, 'auto', options(unreachable));
    expect(client.major).toBe(17);
    expect(stdout).toMatch(
      /::warning title=pg_dump 17 used for a PostgreSQL 15 server::.*pg-apt-mirror http:\/\/127\.0\.0\.1:\d+: could not download http:\/\/127\.0\.0\.1:\d+\/dists\/[a-z]+-pgdg\//,
    );
  });

  it('fails with the mirror named when nothing has the client', async () => {
    const unreachable = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const error = await provideClient(15, 'auto', options(unreachable)).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /No pg_dump 15 or newer could be found or installed.*pg-apt-mirror http:\/\/127\.0\.0\.1:\d+: could not download.*ECONNREFUSED/s,
    );
  });

  it('names an unsupported distribution and an unsupported operating system', async () => {
    const osRelease = join(scratch, 'os-release');
    await writeFile(
      osRelease,
      'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20"\n',
    );
    const alpine = await provideClient(
      16,
      'auto',
      options('http://127.0.0.1:9', { platform: () => detectPlatform(osRelease) }),
    ).catch((e: unknown) => e as Error);
    expect((alpine as Error).message).toMatch(
      /Unsupported platform: Alpine Linux v3\.20\. The PostgreSQL apt repository serves Debian and Ubuntu/,
    );
    await expect(detectPlatform(osRelease, 'darwin')).rejects.toThrow(/^Unsupported platform: darwin\./);
    await expect(detectPlatform('/etc/os-release', 'linux', 'ia32')).rejects.toThrow(
      /^Unsupported architecture: ia32\./,
    );
  });

  it('reads Debian derivatives by their Debian codename, and others by their own', async () => {
    const lmde = join(scratch, 'os-release-lmde');
    await writeFile(
      lmde,
      'PRETTY_NAME="LMDE 6 (faye)"\nID=linuxmint\nID_LIKE=debian\nVERSION_CODENAME=faye\nDEBIAN_CODENAME=bookworm\n',
    );
    expect(await detectPlatform(lmde, 'linux', 'x64')).toMatchObject({
      distro: 'debian',
      codename: 'bookworm',
    });
    const kali = join(scratch, 'os-release-kali');
    await writeFile(
      kali,
      'PRETTY_NAME="Kali GNU/Linux Rolling"\nID=kali\nID_LIKE=debian\nVERSION_CODENAME=kali-rolling\n',
    );
    const platform = await detectPlatform(kali, 'linux', 'x64');
    expect(platform).toMatchObject({ distro: 'debian', codename: 'kali-rolling' });
    const served = await startAptMirror();
    try {
      const error = await provideClient(
        15,
        15,
        options(served.url, { platform: () => Promise.resolve(platform) }),
      ).catch((e: unknown) => e as Error);
      expect((error as Error).message).toMatch(
        /has no suite kali-rolling-pgdg \(Kali GNU\/Linux Rolling may be too new or too old for it\)/,
      );
    } finally {
      await served.stop();
    }
  });

  it('reads Ubuntu derivatives by their Ubuntu codename', async () => {
    const osRelease = join(scratch, 'os-release');
    await writeFile(
      osRelease,
      'ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_CODENAME=wilma\nUBUNTU_CODENAME=noble\n',
    );
    expect(await detectPlatform(osRelease, 'linux', 'arm64')).toMatchObject({
      distro: 'ubuntu',
      codename: 'noble',
      debArch: 'arm64',
      multiarch: 'aarch64-linux-gnu',
    });
  });
});
