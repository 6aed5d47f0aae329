/**
 * A local stand-in for the PostgreSQL apt repository (apt.postgresql.org's layout), served over HTTP on 127.0.0.1.
 * It holds Debian bookworm's real postgresql-client-15 and libpq5, a `Packages` index (plain and gzipped) that
 * this module writes for them, and the suite's `Release` signed with a key the tests make (`InRelease`, and
 * `Release` with `Release.gpg`). With `tamper`, one part is changed after signing, as a compromised or corrupted
 * mirror would serve it: the client .deb (one byte flipped), the `Packages` index, or the signed `InRelease`.
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
import { clearSign, detachSign, mirrorSigningKey, releaseText, type SigningKey } from './apt-signing.js';
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
  /** The armored public key that verifies the mirror's signature. */
  readonly publicKey: string;
  /** The action's inputs that point at this mirror and trust its key. */
  readonly inputs: { readonly 'pg-apt-mirror': string; readonly 'pg-apt-key': string };
  /** Publishes the client under another version (the same file), as a new point release, and signs again. */
  republish(clientVersion: string): Promise<void>;
  stop(): Promise<void>;
}

export interface AptMirrorOptions {
  /**
   * Change one part after signing: `deb`, the postgresql-client-15 file differs from the one the index
   * describes; `packages`, the index differs from the one the release lists; `release`, InRelease differs from
   * what was signed.
   */
  readonly tamper?: 'deb' | 'packages' | 'release';
  /** How the release is signed: `InRelease` and `Release.gpg` (the default), only one of them, or not at all. */
  readonly signing?: 'both' | 'inline' | 'detached' | 'unsigned';
  /** The key that signs; the tests' mirror key by default. */
  readonly key?: SigningKey;
  /** The release's `Valid-Until`. */
  readonly validUntil?: Date;
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
      await placeDeb(root, deb, options.tamper === 'deb' && deb.pkg.name === MIRROR_CLIENT);
    const codename = options.codename ?? (await machineCodename());
    const key = options.key ?? (await mirrorSigningKey());
    const distDir = join(root, 'dists', `${codename}-pgdg`);
    const publish = async (packages: readonly AptPackage[]) => {
      await writeIndex(distDir, packages);
      await writeRelease(distDir, `${codename}-pgdg`, key, options);
    };
    await publish(debs.map((deb) => deb.pkg));
    const requests: string[] = [];
    const server = await listen(root, requests);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      codename,
      root,
      packages: debs.map((deb) => deb.pkg),
      requests,
      publicKey: key.armoredPublicKey,
      inputs: { 'pg-apt-mirror': url, 'pg-apt-key': key.armoredPublicKey },
      republish: (clientVersion) =>
        publish(
          debs.map((deb) =>
            deb.pkg.name === MIRROR_CLIENT ? { ...deb.pkg, version: clientVersion } : deb.pkg,
          ),
        ),
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

async function writeIndex(distDir: string, packages: readonly AptPackage[]): Promise<void> {
  const binaryDir = join(distDir, 'main', `binary-${ARCHITECTURE}`);
  const text = [...packages.map((pkg) => stanza(pkg)), ...decoyStanzas()].join('\n');
  await mkdir(binaryDir, { recursive: true });
  await writeFile(join(binaryDir, 'Packages'), text);
  await writeFile(join(binaryDir, 'Packages.gz'), gzipSync(text));
}

/** The suite's Release, listing every index file, signed as `options.signing` says; then `options.tamper`. */
async function writeRelease(
  distDir: string,
  suite: string,
  key: SigningKey,
  options: AptMirrorOptions,
): Promise<void> {
  const indexes = [`main/binary-${ARCHITECTURE}/Packages`, `main/binary-${ARCHITECTURE}/Packages.gz`];
  const files = new Map<string, Buffer>();
  for (const path of indexes) files.set(path, await readFile(join(distDir, path)));
  const text = releaseText({
    suite,
    components: ['main'],
    architectures: [ARCHITECTURE],
    files,
    ...(options.validUntil ? { validUntil: options.validUntil } : {}),
  });
  const signing = options.signing ?? 'both';
  await writeFile(join(distDir, 'Release'), text);
  for (const stale of ['InRelease', 'Release.gpg']) await rm(join(distDir, stale), { force: true });
  if (signing === 'both' || signing === 'inline') {
    const signed = await clearSign(text, key);
    // One hex digit of the first SHA-256 line changed: the text no longer matches its signature.
    const served =
      options.tamper === 'release'
        ? signed.replace(/^ ([0-9a-f])/m, (_line, digit: string) => ` ${digit === '0' ? '1' : '0'}`)
        : signed;
    await writeFile(join(distDir, 'InRelease'), served);
  }
  if (signing === 'both' || signing === 'detached')
    await writeFile(join(distDir, 'Release.gpg'), await detachSign(text, key));
  if (options.tamper === 'packages') {
    for (const path of indexes) {
      const tampered = (await readFile(join(distDir, path.replace(/\.gz$/, '')), 'utf8')).replace(
        /^Version: (.*)$/m,
        'Version: 99:$1',
      );
      await writeFile(join(distDir, path), path.endsWith('.gz') ? gzipSync(tampered) : tampered);
    }
  }
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
