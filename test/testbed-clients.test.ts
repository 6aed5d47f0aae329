/**
 * Proves the test bed the installer tests stand on: the wrapped real PostgreSQL 17 and 18 clients run here, also
 * once copied into a tool cache, and the local apt mirror serves an index that does (or, tampered, does not)
 * describe the .deb it serves.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

import * as tc from '@actions/tool-cache';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { newestPackage, parsePackagesIndex } from '../src/installer/apt-index.js';
import {
  type AptMirror,
  type AptMirrorOptions,
  MIRROR_CLIENT,
  startAptMirror,
} from './support/apt-mirror.js';
import {
  CLIENT_TOOLS,
  ensureWrappedClient,
  seedToolCache,
  TOOL_CACHE_NAME,
} from './support/client-wrappers.js';

const execFileAsync = promisify(execFile);

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function versionOutput(program: string, cwd?: string): Promise<string> {
  const { stdout } = await execFileAsync(program, ['--version'], { cwd });
  return stdout.trim();
}

describe.each([17, 18] as const)('the wrapped PostgreSQL %i client', (major) => {
  it('runs pg_dump, pg_restore and psql of that major version', async () => {
    const client = await ensureWrappedClient(major);

    expect(client.version).toMatch(new RegExp(`^${major}\\.\\d+$`));
    for (const tool of CLIENT_TOOLS) {
      expect(await versionOutput(join(client.dir, 'bin', tool))).toMatch(
        new RegExp(`^${tool} \\(PostgreSQL\\) ${client.version.replace('.', '\\.')}\\b`),
      );
    }
  });

  it('runs from a tool cache seeded with it, from any cwd and through a symlink', async () => {
    const toolCache = await tempDir('tool-cache-');
    const elsewhere = await tempDir('elsewhere-');
    const { version } = await ensureWrappedClient(major);

    const x64 = await seedToolCache(toolCache, major);

    expect(x64).toBe(join(toolCache, TOOL_CACHE_NAME, `${version}.0`, 'x64'));
    vi.stubEnv('RUNNER_TOOL_CACHE', toolCache);
    expect(tc.find(TOOL_CACHE_NAME, String(major))).toBe(x64);
    for (const tool of CLIENT_TOOLS) {
      expect(await versionOutput(join(x64, 'bin', tool), elsewhere)).toContain(`(PostgreSQL) ${version}`);
    }
    const link = join(elsewhere, 'psql');
    await symlink(join(x64, 'bin', 'psql'), link);
    expect(await versionOutput(link, elsewhere)).toContain(`psql (PostgreSQL) ${version}`);
    // The copy runs its own loader and libraries, not those of the folder it was copied from.
    const { stderr } = await execFileAsync('sh', ['-x', link, '--version'], { cwd: elsewhere });
    expect(stderr).toContain(
      `+ exec ${x64}/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path`,
    );
  });
});

describe('the local apt mirror', () => {
  const indexPath = (codename: string) => `/dists/${codename}-pgdg/main/binary-amd64/Packages`;

  async function mirror(options: AptMirrorOptions): Promise<AptMirror> {
    const started = await startAptMirror(options);
    cleanups.push(() => started.stop());
    return started;
  }

  async function download(url: string): Promise<Buffer> {
    const response = await fetch(url);
    expect(response.status, url).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('serves an index whose SHA-256 and size for postgresql-client-15 match the served .deb', async () => {
    const served = await mirror({});

    const text = (await download(`${served.url}${indexPath(served.codename)}`)).toString();
    expect(gunzipSync(await download(`${served.url}${indexPath(served.codename)}.gz`)).toString()).toBe(text);
    const index = parsePackagesIndex(text);
    const client = newestPackage(index, MIRROR_CLIENT, 'amd64')!;
    expect(client).toEqual(served.packages.find((pkg) => pkg.name === MIRROR_CLIENT));
    expect(client.version).toMatch(/^15\.\d+-/);
    const deb = await download(`${served.url}/${client.filename}`);
    expect(sha256(deb)).toBe(client.sha256);
    expect(deb.length).toBe(client.size);

    const decoy = index.find((pkg) => pkg.name === MIRROR_CLIENT && pkg.version !== client.version)!;
    expect((await fetch(`${served.url}/${decoy.filename}`)).status).toBe(404);
    expect(served.requests).toEqual([
      indexPath(served.codename),
      `${indexPath(served.codename)}.gz`,
      `/${client.filename}`,
      `/${decoy.filename}`,
    ]);
  });

  it('when tampered, serves a postgresql-client-15 .deb whose SHA-256 differs from the index', async () => {
    const served = await mirror({ tamper: 'deb', codename: 'trixie' });

    const index = parsePackagesIndex((await download(`${served.url}${indexPath('trixie')}`)).toString());
    const client = newestPackage(index, MIRROR_CLIENT, 'amd64')!;
    const deb = await download(`${served.url}/${client.filename}`);
    expect(deb.length).toBe(client.size);
    expect(sha256(deb)).not.toBe(client.sha256);
    const libpq = newestPackage(index, 'libpq5', 'amd64')!;
    expect(sha256(await download(`${served.url}/${libpq.filename}`))).toBe(libpq.sha256);
  });
});
