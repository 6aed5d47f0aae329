/**
 * Where majors live and what happens when one source fails: betas in their own component, several repositories
 * tried in order (the PostgreSQL repository, then its archive), a mirror half-way through a sync, a kept client
 * used when no repository delivers the newer one, and an arm64 repository read, verified and extracted here.
 */
import { mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionsCacheStore } from '../src/installer/actions-cache-store.js';
import { type InstallerOptions, provideClient } from '../src/installer/install-client.js';
import { detectPlatform, type Platform } from '../src/installer/platform.js';
import { repositoriesFor, RepositorySources } from '../src/installer/repository-sources.js';
import { ARCHIVE_APT_MIRROR, DEFAULT_APT_MIRROR } from '../src/shared/constants.js';
import { type AptMirror, MIRROR_CLIENT, startAptMirror } from './support/apt-mirror.js';
import { mirrorSigningKey } from './support/apt-signing.js';
import { captureStdout } from './support/capture.js';

let scratch: string;
const mirrors: AptMirror[] = [];
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'repository-sources-'));
  process.env.RUNNER_TOOL_CACHE = join(scratch, 'tool-cache');
  process.env.RUNNER_TEMP = join(scratch, 'temp');
  await mkdir(process.env.RUNNER_TEMP, { recursive: true });
});
afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((mirror) => mirror.stop()));
  await rm(scratch, { recursive: true, force: true });
});

const trust = { armoredKeys: (await mirrorSigningKey()).armoredPublicKey, name: 'pg-apt-key' };

async function mirror(...args: Parameters<typeof startAptMirror>): Promise<AptMirror> {
  const started = await startAptMirror(...args);
  mirrors.push(started);
  return started;
}

function options(urls: readonly string[]): InstallerOptions {
  return {
    mirrors: urls,
    trust,
    runnerSearch: { systemRoots: [], pathDirs: [] },
    cacheStore: actionsCacheStore,
    workDir: process.env.RUNNER_TEMP!,
    platform: () => detectPlatform(),
    arch: 'x64',
  };
}

async function install(major: number, urls: readonly string[]) {
  const { result, stdout } = await captureStdout(() => provideClient(major, major, options(urls)));
  const record = JSON.parse(await readFile(join(result.binDir, '..', 'client.json'), 'utf8')) as {
    repository: string;
    index: { path: string };
  };
  return { client: result, stdout, record };
}

describe('repositoriesFor', () => {
  it('follows the PostgreSQL repository with its archive, and nothing else with anything', () => {
    expect(repositoriesFor([`${DEFAULT_APT_MIRROR}/`])).toEqual([DEFAULT_APT_MIRROR, ARCHIVE_APT_MIRROR]);
    expect(repositoriesFor(['https://mirror.example/apt'])).toEqual(['https://mirror.example/apt']);
    expect(repositoriesFor(['https://a.example', DEFAULT_APT_MIRROR, ARCHIVE_APT_MIRROR])).toEqual([
      'https://a.example',
      DEFAULT_APT_MIRROR,
      ARCHIVE_APT_MIRROR,
    ]);
  });
});

describe('provideClient across repositories', () => {
  it("installs a major that main lacks from the major's own component, as betas are published", async () => {
    const served = await mirror({ component: '15' });
    const { client, record } = await install(15, [served.url]);
    expect(client).toMatchObject({ major: 15, source: 'apt repository' });
    expect(record.index.path).toBe('15/binary-amd64/Packages.gz');
    expect(served.requests).toContain(`/dists/${served.codename}-pgdg/15/binary-amd64/Packages.gz`);
    // Kept, and known current by the digest of the component's index the signed release lists.
    const again = await install(15, [served.url]);
    expect(again.client.source).toBe('tool cache');
  });

  it('moves on to the next repository when the first has no suite for this distribution', async () => {
    const other = await mirror({ codename: 'jessie' });
    const archive = await mirror();
    const { client, record } = await install(15, [other.url, archive.url]);
    expect(client.source).toBe('apt repository');
    expect(record.repository).toBe(archive.url);
  });

  it('reports a .deb the first repository lacks (a mirror mid-sync) and installs from the next', async () => {
    const syncing = await mirror({ tamper: 'deb-missing' });
    const whole = await mirror();
    const { client, record, stdout } = await install(15, [syncing.url, whole.url]);
    expect(client.source).toBe('apt repository');
    expect(record.repository).toBe(whole.url);
    expect(stdout).toMatch(
      new RegExp(
        `::warning::${MIRROR_CLIENT} from ${syncing.url} was refused: could not download ${syncing.url}/pool/.*\\.deb: HTTP 404`,
      ),
    );
  });

  it('uses the kept older build, with a warning, when no repository delivers the newer one intact', async () => {
    const served = await mirror();
    const first = await install(15, [served.url]);
    const tampered = await mirror({ tamper: 'deb' });
    await tampered.republish(`${served.packages.find((pkg) => pkg.name === MIRROR_CLIENT)!.version}.1`);
    const { result, stdout } = await captureStdout(() => provideClient(15, 15, options([tampered.url])));
    expect(result).toMatchObject({ source: 'tool cache', binDir: first.client.binDir });
    expect(stdout).toMatch(/::warning::.*was refused: SHA-256 mismatch for /);
    expect(stdout).toMatch(
      new RegExp(
        `::warning title=Kept pg_dump ${first.client.version.replace('.', '\\.')} used::No repository delivered the newest PostgreSQL 15 client \\(.*SHA-256 mismatch`,
      ),
    );
  });

  it('names every repository and why, when none has the client', async () => {
    const other = await mirror({ codename: 'jessie' });
    const syncing = await mirror({ tamper: 'deb-missing' });
    const error = (await provideClient(15, 15, options([other.url, syncing.url])).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(`the apt repository ${other.url} has no suite`);
    expect(error.message).toMatch(new RegExp(`pg-apt-mirror ${syncing.url}: could not download .*HTTP 404`));
  });
});

describe('an arm64 repository', () => {
  it("reads, verifies and extracts Debian's arm64 client and libpq (not run on this machine)", async () => {
    const served = await mirror({ architecture: 'arm64' });
    const arm64: Platform = {
      ...(await detectPlatform()),
      codename: served.codename,
      debArch: 'arm64',
      arch: 'arm64',
      multiarch: 'aarch64-linux-gnu',
    };
    const dir = join(scratch, 'arm64-client');
    const installed = await new RepositorySources([served.url], trust, arm64).install(15, arm64, dir);
    expect(installed?.packages.client.architecture).toBe('arm64');
    expect(installed?.index.path).toBe('main/binary-arm64/Packages.gz');
    const pgDump = join(dir, 'root/usr/lib/postgresql/15/bin/pg_dump');
    expect(await elfMachine(pgDump)).toBe(AARCH64);
    expect(await elfMachine(join(dir, 'root/usr/lib/aarch64-linux-gnu/libpq.so.5'))).toBe(AARCH64);
    expect(await readFile(join(dir, 'bin/pg_dump'), 'utf8')).toContain('/usr/lib/aarch64-linux-gnu');
    expect((await stat(pgDump)).mode & 0o111).not.toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'client.json'), 'utf8'))).toMatchObject({ arch: 'arm64' });
  });
});

/** ELF's e_machine for AArch64. */
const AARCH64 = 183;

/** The `e_machine` field of an ELF file (little-endian, at byte 18), after checking the magic. */
async function elfMachine(path: string): Promise<number> {
  const file = await open(path);
  try {
    const header = Buffer.alloc(20);
    await file.read(header, 0, 20, 0);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    return header.readUInt16LE(18);
  } finally {
    await file.close();
  }
}
