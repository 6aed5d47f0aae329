/**
 * A local stand-in for the PostgreSQL apt repository (apt.postgresql.org's layout), served over HTTP on 127.0.0.1.
 * It holds Debian bookworm's real postgresql-client-15 and libpq5 at their newest point release (bookworm's or its
 * security updates', as the repository always serves the newest), a `Packages` index (plain and gzipped) that
 * this module writes for them, and the suite's `Release` signed with a key the tests make (`InRelease`, and
 * `Release` with `Release.gpg`). With `tamper`, one part is changed after signing, as a compromised or corrupted
 * mirror would serve it: the client .deb (one byte flipped), the `Packages` index, or the signed `InRelease`.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

import type { AptPackage } from '../../src/installer/apt-index.js';
import { detectPlatform } from '../../src/installer/platform.js';
import { clearSign, detachSign, mirrorSigningKey, releaseText, type SigningKey } from './apt-signing.js';
import {
  type DebianArchitecture,
  type DebianPackageFile,
  ensureNewestDebianPackages,
} from './debian-packages.js';
import { closeServer, listen } from './static-server.js';

export const MIRROR_CLIENT = 'postgresql-client-15';
const MIRROR_PACKAGE_NAMES = [MIRROR_CLIENT, 'libpq5'];

export interface AptMirror {
  /** Base URL of the repository, without a trailing slash: `<url>/dists/…`, `<url>/pool/…`. */
  readonly url: string;
  /** The folder served. */
  readonly root: string;
  /** The packages the mirror serves, as its index describes them (the index's decoy stanzas left out). */
  readonly packages: AptPackage[];
  /** The distribution codename it serves, `dists/<codename>-pgdg`. */
  readonly codename: string;
  readonly architecture: DebianArchitecture;
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
   * what was signed; `deb-missing`, the client .deb is not there (a 404, as from a mirror half-way through a sync).
   */
  readonly tamper?: 'deb' | 'deb-missing' | 'packages' | 'release';
  /** The Debian architecture of the packages served (Debian's own builds of the same client); amd64 by default. */
  readonly architecture?: DebianArchitecture;
  /**
   * The component the client is published in: `main` by default; a major's own (`15`) serves it as the
   * repository serves betas, with libpq5 left in `main`.
   */
  readonly component?: string;
  /** How the release is signed: `InRelease` and `Release.gpg` (the default), only one of them, or not at all. */
  readonly signing?: 'both' | 'inline' | 'detached' | 'unsigned';
  /** The key that signs; the tests' mirror key by default. */
  readonly key?: SigningKey;
  /**
   * The signed release names another suite than the folder it is served from, as a mirror replaying another
   * suite's (validly signed) release would.
   */
  readonly claimedSuite?: string;
  /** The release's `Valid-Until`: a date, or text as given. */
  readonly validUntil?: Date | string;
  /**
   * Distribution codename of the `dists/<codename>-pgdg` folder; by default this machine's, so the installer run
   * here finds it (bookworm's client runs on every newer Debian and Ubuntu).
   */
  readonly codename?: string;
}

/** The real Debian packages the mirror serves, downloaded into the cache on first use. */
export function mirrorDebianPackages(
  architecture: DebianArchitecture = 'amd64',
): Promise<DebianPackageFile[]> {
  return ensureNewestDebianPackages('bookworm', MIRROR_PACKAGE_NAMES, { architecture });
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
    const architecture = options.architecture ?? 'amd64';
    const debs = await mirrorDebianPackages(architecture);
    for (const deb of debs) {
      const client = deb.pkg.name === MIRROR_CLIENT;
      if (client && options.tamper === 'deb-missing') continue;
      await placeDeb(root, deb, client && options.tamper === 'deb');
    }
    const codename = options.codename ?? (await machineCodename());
    const key = options.key ?? (await mirrorSigningKey());
    const distDir = join(root, 'dists', `${codename}-pgdg`);
    const layout: IndexLayout = { architecture, clientComponent: options.component ?? 'main' };
    const publish = async (packages: readonly AptPackage[]) => {
      const indexes = await writeIndexes(distDir, packages, layout);
      await writeRelease(distDir, `${codename}-pgdg`, indexes, key, { ...options, architecture });
    };
    await publish(debs.map((deb) => deb.pkg));
    const requests: string[] = [];
    const server = await listen(root, requests);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      codename,
      architecture,
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

interface IndexLayout {
  readonly architecture: DebianArchitecture;
  readonly clientComponent: string;
}

/** Writes each component's index (plain and gzipped); returns their paths below `dists/<suite>/`. */
async function writeIndexes(
  distDir: string,
  packages: readonly AptPackage[],
  layout: IndexLayout,
): Promise<string[]> {
  const [clientDecoy, commonDecoy] = decoyStanzas(layout.architecture);
  const components = new Map<string, string[]>([['main', [commonDecoy!]]]);
  const add = (component: string, text: string) =>
    components.set(component, [text, ...(components.get(component) ?? [])]);
  add(layout.clientComponent, clientDecoy!);
  for (const pkg of packages) add(pkg.name === MIRROR_CLIENT ? layout.clientComponent : 'main', stanza(pkg));
  const paths: string[] = [];
  for (const [component, stanzas] of components) {
    const binaryDir = join(distDir, component, `binary-${layout.architecture}`);
    const text = stanzas.join('\n');
    await mkdir(binaryDir, { recursive: true });
    await writeFile(join(binaryDir, 'Packages'), text);
    await writeFile(join(binaryDir, 'Packages.gz'), gzipSync(text));
    const base = `${component}/binary-${layout.architecture}/Packages`;
    paths.push(base, `${base}.gz`);
  }
  return paths;
}

/** The suite's Release, listing every index file, signed as `options.signing` says; then `options.tamper`. */
async function writeRelease(
  distDir: string,
  suite: string,
  indexes: readonly string[],
  key: SigningKey,
  options: AptMirrorOptions & { architecture: DebianArchitecture },
): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const path of indexes) files.set(path, await readFile(join(distDir, path)));
  const text = releaseText({
    suite,
    components: [...new Set(indexes.map((path) => path.split('/')[0]!))],
    architectures: [options.architecture],
    files,
    ...(options.validUntil ? { validUntil: options.validUntil } : {}),
    ...(options.claimedSuite ? { claimedSuite: options.claimedSuite } : {}),
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
function decoyStanzas(architecture: DebianArchitecture): string[] {
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
      architecture,
      `pool/main/p/postgresql-15/postgresql-client-15_15~beta1-1.pgdg120+1_${architecture}.deb`,
    ),
    decoy(
      'postgresql-client-common',
      '262.pgdg120+1',
      'all',
      'pool/main/p/postgresql-common/postgresql-client-common_262.pgdg120+1_all.deb',
    ),
  ];
}
