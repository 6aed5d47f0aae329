/**
 * Real Debian packages for the tests, downloaded once from Debian's archive and kept in `<repo>/.cache/debian/`.
 * Both the suite's index and the .deb files are cached, so a run whose cache already holds what it needs makes no
 * network request. Files arrive under a temporary name and are renamed into place, so test processes that
 * download at the same time never see a half-written file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  type AptPackage,
  compareDebianVersions,
  dependencyNames,
  newestPackage,
  parsePackagesIndex,
} from '../../src/installer/apt-index.js';
import { decompress } from '../../src/installer/decompress.js';
import { DownloadError, downloadVerified, fetchBuffer } from '../../src/installer/verified-download.js';

/** A release, or its security updates (another archive, where Debian publishes its point releases of PostgreSQL first). */
export type DebianSuite =
  'bookworm' | 'trixie' | 'forky' | 'bookworm-security' | 'trixie-security' | 'forky-security';
export type DebianArchitecture = 'amd64' | 'arm64';

export interface DebianPackageFile {
  readonly pkg: AptPackage;
  /** The verified .deb in the cache. */
  readonly path: string;
}

const DEBIAN_ARCHIVE = 'http://deb.debian.org/debian';
const SECURITY_ARCHIVE = 'http://deb.debian.org/debian-security';

function archiveOf(suite: DebianSuite): string {
  return suite.endsWith('-security') ? SECURITY_ARCHIVE : DEBIAN_ARCHIVE;
}

/** The repository root, where the git-ignored `.cache/` folder lives. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = join(REPO_ROOT, '.cache');

/** Runtime libraries whose package name does not start with `lib`. */
const LIBRARIES_WITHOUT_LIB_PREFIX = new Set(['zlib1g']);

/** One architecture's index of one suite. */
interface IndexId {
  readonly suite: DebianSuite;
  readonly arch: DebianArchitecture;
}

const indexes = new Map<string, Promise<AptPackage[]>>();

/**
 * Ensures the newest builds of `names` in `suite` (amd64 unless `architecture` says) are in the cache and returns
 * them. With `withLibraryDependencies`, also the runtime libraries they depend on, transitively (`resolveClosure`).
 */
export async function ensureDebianPackages(
  suite: DebianSuite,
  names: readonly string[],
  options: { withLibraryDependencies?: boolean; architecture?: DebianArchitecture } = {},
): Promise<DebianPackageFile[]> {
  const id: IndexId = { suite, arch: options.architecture ?? 'amd64' };
  const resolve = async () =>
    resolveClosure(await suiteIndex(id), names, id.arch, options.withLibraryDependencies ?? false);
  try {
    return await downloadAll(suite, await resolve());
  } catch (error) {
    // A cached index can outlive the files it names once Debian publishes newer builds: refresh it once.
    if (!(error instanceof DownloadError) || error.status !== 404) throw error;
    indexes.set(indexKey(id), downloadIndex(id));
    return await downloadAll(suite, await resolve());
  }
}

function indexKey(id: IndexId): string {
  return `${id.suite}/${id.arch}`;
}

/** amd64's keeps the name caches made before other architectures were read. */
function indexPath(id: IndexId): string {
  return join(suiteDir(id.suite), id.arch === 'amd64' ? 'Packages.xz' : `Packages-${id.arch}.xz`);
}

/** A suite's signed `InRelease` and the amd64 `main` index it lists, as the cache holds them together. */
export interface DebianReleaseIndex {
  readonly inRelease: string;
  readonly packagesXz: string;
}

/**
 * Debian's own `InRelease` of `suite` (signed by the archive's keys), with the `Packages.xz` whose SHA-256 it
 * lists: a cached index from another day is downloaded again, so the two always agree.
 */
export async function ensureDebianRelease(suite: DebianSuite): Promise<DebianReleaseIndex> {
  const id: IndexId = { suite, arch: 'amd64' };
  const release = { inRelease: join(suiteDir(suite), 'InRelease'), packagesXz: indexPath(id) };
  if ((await exists(release.inRelease)) && (await indexMatches(release))) return release;
  const body = await fetchBuffer(`${archiveOf(suite)}/dists/${suite}/InRelease`);
  await writeAtomically(release.inRelease, (temp) => writeFile(temp, body));
  if (!(await indexMatches(release))) {
    indexes.set(indexKey(id), downloadIndex(id));
    await indexes.get(indexKey(id));
  }
  return release;
}

async function indexMatches(release: DebianReleaseIndex): Promise<boolean> {
  if (!(await exists(release.packagesXz))) return false;
  const text = await readFile(release.inRelease, 'utf8');
  const listed = / ([0-9a-f]{64})\s+\d+\s+main\/binary-amd64\/Packages\.xz$/m.exec(text)?.[1];
  const actual = createHash('sha256')
    .update(await readFile(release.packagesXz))
    .digest('hex');
  return listed === actual;
}

function suiteDir(suite: DebianSuite): string {
  return join(CACHE_DIR, 'debian', suite);
}

/** The suite's parsed `Packages` index, read from the cache (downloaded first if missing), once per process. */
function suiteIndex(id: IndexId): Promise<AptPackage[]> {
  let index = indexes.get(indexKey(id));
  if (!index) {
    index = readCachedIndex(id);
    indexes.set(indexKey(id), index);
  }
  return index;
}

async function readCachedIndex(id: IndexId): Promise<AptPackage[]> {
  const path = indexPath(id);
  if (!(await exists(path))) return downloadIndex(id);
  return parsePackagesIndex(await decompressXz(path));
}

async function downloadIndex(id: IndexId): Promise<AptPackage[]> {
  const path = indexPath(id);
  const body = await fetchBuffer(
    `${archiveOf(id.suite)}/dists/${id.suite}/main/binary-${id.arch}/Packages.xz`,
  );
  await writeAtomically(path, (temp) => writeFile(temp, body));
  return parsePackagesIndex(await decompressXz(path));
}

async function decompressXz(path: string): Promise<string> {
  return (await decompress(await readFile(path), 'xz')).toString('utf8');
}

/**
 * The packages named, plus (with `withLibraries`) the closure of their `Depends` (first alternative of each)
 * restricted to runtime libraries: tools, scripts and data packages such as postgresql-client-common, debconf or
 * perl are left out. A virtual name no real package carries resolves to the newest package that `Provides` it.
 */
function resolveClosure(
  index: readonly AptPackage[],
  names: readonly string[],
  arch: DebianArchitecture,
  withLibraries: boolean,
): AptPackage[] {
  const seen = new Set<string>();
  const resolved = new Map<string, AptPackage>();
  const pending = [...names];
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const pkg = findPackage(index, name, arch);
    if (resolved.has(pkg.name)) continue;
    resolved.set(pkg.name, pkg);
    if (withLibraries) pending.push(...dependencyNames(pkg.depends).filter(isRuntimeLibrary));
  }
  return [...resolved.values()];
}

function isRuntimeLibrary(name: string): boolean {
  return name.startsWith('lib') || LIBRARIES_WITHOUT_LIB_PREFIX.has(name);
}

function findPackage(index: readonly AptPackage[], name: string, arch: DebianArchitecture): AptPackage {
  const pkg = newestPackage(index, name, arch) ?? newestProvider(index, name, arch);
  if (!pkg) throw new Error(`Debian's index has no ${arch} package named or providing ${name}`);
  return pkg;
}

function newestProvider(
  index: readonly AptPackage[],
  name: string,
  arch: DebianArchitecture,
): AptPackage | undefined {
  const provider = index.find((pkg) => dependencyNames(pkg.provides).includes(name));
  return provider && newestPackage(index, provider.name, arch);
}

async function downloadAll(
  suite: DebianSuite,
  packages: readonly AptPackage[],
): Promise<DebianPackageFile[]> {
  return Promise.all(packages.map(async (pkg) => ({ pkg, path: await downloadDeb(suite, pkg) })));
}

async function downloadDeb(suite: DebianSuite, pkg: AptPackage): Promise<string> {
  const path = join(suiteDir(suite), basename(pkg.filename));
  if (await exists(path)) return path;
  await writeAtomically(path, (temp) =>
    downloadVerified(`${archiveOf(suite)}/${pkg.filename}`, temp, pkg.sha256),
  );
  return path;
}

/** Lets `write` fill a temporary file next to `path`, then renames it into place. */
async function writeAtomically(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomUUID()}.partial`;
  try {
    await write(temp);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A Debian release whose security updates are published beside it. */
export type DebianRelease = 'bookworm' | 'trixie' | 'forky';

/**
 * The newest build of each of `names` in `release` or its security updates, as `apt-get install` with both in
 * its sources would take it: Debian publishes PostgreSQL's point releases (15.20 for bookworm) in the security
 * archive first, and the release's own suite catches up only at its next point release.
 */
export async function ensureNewestDebianPackages(
  release: DebianRelease,
  names: readonly string[],
  options: { architecture?: DebianArchitecture } = {},
): Promise<DebianPackageFile[]> {
  const arch = options.architecture ?? 'amd64';
  const suites: DebianSuite[] = [release, `${release}-security`];
  return Promise.all(
    names.map(async (name) => {
      const found = await Promise.all(
        suites.map(async (suite) => ({
          suite,
          pkg: newestPackage(await suiteIndex({ suite, arch }), name, arch),
        })),
      );
      const newest = found
        .filter((entry): entry is { suite: DebianSuite; pkg: AptPackage } => entry.pkg !== undefined)
        .sort((a, b) => compareDebianVersions(b.pkg.version, a.pkg.version))[0];
      if (!newest)
        throw new Error(`Debian ${release} has no ${arch} package named ${name}, nor its security updates`);
      const [file] = await ensureDebianPackages(newest.suite, [name], { architecture: arch });
      return file!;
    }),
  );
}
