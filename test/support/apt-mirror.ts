/**
 * A local stand-in for the PostgreSQL apt repository (apt.postgresql.org's layout), served over HTTP on 127.0.0.1.
 * It holds Debian bookworm's real postgresql-client-15 and libpq5, and a `Packages` index (plain and gzipped) that
 * this module writes for them. With `tamper`, the served client .deb has one byte flipped while the index keeps
 * the genuine SHA-256, as a compromised or corrupted mirror would.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

import type { AptPackage } from '../../src/installer/apt-index.js';
import { detectPlatform } from '../../src/installer/platform.js';
import { type DebianPackageFile, ensureDebianPackages } from './debian-packages.js';

export const MIRROR_CLIENT = 'postgresql-client-15';
const MIRROR_PACKAGE_NAMES = [MIRROR_CLIENT, 'libpq5'];
const ARCHITECTURE = 'amd64';

export interface AptMirror {
  /** Base URL of the repository, without a trailing slash: `<url>/dists/…`, `<url>/pool/…`. */
  readonly url: string;
  /** The folder served. */
  readonly root: string;
  /** The packages the mirror serves, as its index describes them (the index's decoy stanzas left out). */
  readonly packages: AptPackage[];
  /** The distribution codename it serves, `dists/<codename>-pgdg`. */
  readonly codename: string;
  /** Path of every request received, in order, e.g. `/dists/bookworm-pgdg/main/binary-amd64/Packages`. */
  readonly requests: string[];
  stop(): Promise<void>;
}

export interface AptMirrorOptions {
  /** Serve a postgresql-client-15 .deb that differs from the one the index describes. */
  readonly tamper?: boolean;
  /**
   * Distribution codename of the `dists/<codename>-pgdg` folder; by default this machine's, so the installer run
   * here finds it (bookworm's client runs on every newer Debian and Ubuntu).
   */
  readonly codename?: string;
}

/** The real Debian packages the mirror serves, downloaded into the cache on first use. */
export function mirrorDebianPackages(): Promise<DebianPackageFile[]> {
  return ensureDebianPackages('bookworm', MIRROR_PACKAGE_NAMES);
}

/** The codename the installer reads from this machine's /etc/os-release; bookworm where it reads none. */
async function machineCodename(): Promise<string> {
  return detectPlatform().then(
    (platform) => platform.codename,
    () => 'bookworm',
  );
}

export async function startAptMirror(options: AptMirrorOptions = {}): Promise<AptMirror> {
  const root = await mkdtemp(join(tmpdir(), 'apt-mirror-'));
  try {
    const debs = await mirrorDebianPackages();
    for (const deb of debs)
      await placeDeb(root, deb, options.tamper === true && deb.pkg.name === MIRROR_CLIENT);
    const codename = options.codename ?? (await machineCodename());
    await writeIndex(join(root, 'dists', `${codename}-pgdg`), debs);
    const requests: string[] = [];
    const server = await listen(root, requests);
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      codename,
      root,
      packages: debs.map((deb) => deb.pkg),
      requests,
      stop: async () => {
        await closeServer(server);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Copies the .deb to the pool path its `Filename` names (Debian's and the PostgreSQL repository's agree). */
async function placeDeb(root: string, deb: DebianPackageFile, tamper: boolean): Promise<void> {
  const target = join(root, deb.pkg.filename);
  await mkdir(dirname(target), { recursive: true });
  if (!tamper) {
    await copyFile(deb.path, target);
    return;
  }
  const bytes = await readFile(deb.path);
  const index = bytes.length - 16;
  bytes[index] = (bytes[index] ?? 0) ^ 0xff;
  await writeFile(target, bytes);
}

async function writeIndex(distDir: string, debs: readonly DebianPackageFile[]): Promise<void> {
  const binaryDir = join(distDir, 'main', `binary-${ARCHITECTURE}`);
  const text = [...debs.map((deb) => stanza(deb.pkg)), ...decoyStanzas()].join('\n');
  await mkdir(binaryDir, { recursive: true });
  await writeFile(join(binaryDir, 'Packages'), text);
  await writeFile(join(binaryDir, 'Packages.gz'), gzipSync(text));
}

function stanza(pkg: AptPackage): string {
  const fields: [string, string][] = [
    ['Package', pkg.name],
    ['Version', pkg.version],
    ['Architecture', pkg.architecture],
    ['Depends', pkg.depends],
    ['Provides', pkg.provides],
    ['Filename', pkg.filename],
    ['Size', String(pkg.size)],
    ['SHA256', pkg.sha256],
    ['Description', `${pkg.name} from Debian bookworm, served by the tests' local mirror`],
  ];
  return fields
    .filter(([, value]) => value !== '')
    .map(([field, value]) => `${field}: ${value}\n`)
    .join('');
}

/**
 * Stanzas for files the mirror does not serve: an older build of the client (a `~` pre-release, older than any
 * 15.x), which newest-version selection must pass over, and an architecture-independent package.
 */
function decoyStanzas(): string[] {
  const decoy = (name: string, version: string, architecture: string, filename: string): string =>
    stanza({
      name,
      version,
      architecture,
      filename,
      depends: '',
      provides: '',
      size: 1024,
      sha256: '0'.repeat(64),
    });
  return [
    decoy(
      MIRROR_CLIENT,
      '15~beta1-1.pgdg120+1',
      ARCHITECTURE,
      'pool/main/p/postgresql-15/postgresql-client-15_15~beta1-1.pgdg120+1_amd64.deb',
    ),
    decoy(
      'postgresql-client-common',
      '262.pgdg120+1',
      'all',
      'pool/main/p/postgresql-common/postgresql-client-common_262.pgdg120+1_all.deb',
    ),
  ];
}

async function listen(root: string, requests: string[]): Promise<Server> {
  const server = createServer((request, response) => {
    void serveFile(root, requests, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/** Serves a file under `root` for GET and HEAD; anything else, or a missing file, is a 404. */
async function serveFile(
  root: string,
  requests: string[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://mirror').pathname;
  requests.push(path);
  const file = fileUnder(root, path);
  const size = file === undefined ? undefined : await fileSize(file);
  if (file === undefined || size === undefined || !['GET', 'HEAD'].includes(request.method ?? '')) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}

/** The file a URL path names inside `root`, or undefined for a malformed path or one that escapes `root`. */
function fileUnder(root: string, urlPath: string): string | undefined {
  try {
    const file = normalize(join(root, decodeURIComponent(urlPath)));
    return file.startsWith(root + sep) ? file : undefined;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  server.closeAllConnections();
  await closed;
}
