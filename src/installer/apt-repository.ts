import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_PROGRAMS } from '../shared/constants.js';
import { type AptPackage, newestPackage, parsePackagesIndex } from './apt-index.js';
import { extractDeb } from './deb-archive.js';
import type { Platform } from './platform.js';
import { compressionOf, decompress } from './decompress.js';
import { checkReleaseFile, type SignedRelease } from './signed-release.js';
import { downloadVerified, fetchBuffer } from './verified-download.js';

/** The `Packages` index of one suite of a PostgreSQL apt repository, checked against its signed release. */
export interface RepositoryIndex {
  /** The URL of the repository root (the `pg-apt-mirror` input). */
  readonly mirror: string;
  readonly suite: string;
  /** The index file's path below `dists/<suite>/` and its signed SHA-256. */
  readonly path: string;
  readonly sha256: string;
  readonly packages: readonly AptPackage[];
}

/** The repository has no client of the wanted major for this platform (as opposed to failing to answer). */
export class PackageNotInRepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageNotInRepositoryError';
  }
}

export function suiteFor(platform: Platform): string {
  return `${platform.codename}-pgdg`;
}

/** The index files apt would read for a component, most compressed first. */
export function indexPaths(component: string, platform: Platform): string[] {
  const base = `${component}/binary-${platform.debArch}/Packages`;
  return [`${base}.xz`, `${base}.gz`, base];
}

/**
 * Downloads the component's `Packages` index that the signed release lists (xz, gzip or plain) and checks it
 * against the SHA-256 and size signed there before reading a line of it.
 */
export async function fetchRepositoryIndex(
  mirror: string,
  release: SignedRelease,
  component: string,
  platform: Platform,
): Promise<RepositoryIndex> {
  const path = indexPaths(component, platform).find((candidate) => release.files.has(candidate));
  if (!path) {
    throw new PackageNotInRepositoryError(
      `the apt repository ${mirror} lists no ${component} index for ${platform.debArch} in ${release.suite}`,
    );
  }
  const bytes = await fetchBuffer(`${release.url}/${path}`);
  checkReleaseFile(release, path, bytes);
  const text = (await decompress(bytes, compressionOf(path))).toString('utf8');
  return {
    mirror,
    suite: release.suite,
    path,
    sha256: release.files.get(path)!.sha256,
    packages: parsePackagesIndex(text),
  };
}

/** The client majors the index offers (`postgresql-client-<major>` packages), ascending. */
export function clientMajorsIn(index: RepositoryIndex): number[] {
  const majors = new Set<number>();
  for (const pkg of index.packages) {
    const match = /^postgresql-client-(\d+)$/.exec(pkg.name);
    if (match) majors.add(Number(match[1]));
  }
  return [...majors].sort((a, b) => a - b);
}

export interface RepositoryClientPackages {
  readonly client: AptPackage;
  readonly libpq: AptPackage;
}

export function clientPackagesIn(
  index: RepositoryIndex,
  major: number,
  platform: Platform,
): RepositoryClientPackages {
  const client = newestPackage(index.packages, `postgresql-client-${major}`, platform.debArch);
  const libpq = newestPackage(index.packages, 'libpq5', platform.debArch);
  if (!client || !libpq) {
    const missing = !client ? `postgresql-client-${major}` : 'libpq5';
    throw new PackageNotInRepositoryError(
      `${index.mirror} has no ${missing} in ${index.suite} for ${platform.debArch}`,
    );
  }
  return { client, libpq };
}

/**
 * Downloads the client and libpq packages, checks each file's SHA-256 against the index, and lays out `dir` as
 * `root/` (the packages' files, extracted without root) plus `bin/` wrappers that run the real programs with the
 * extracted libpq first on the library path. Nothing outside `dir` is touched.
 */
export async function installClientPackages(
  index: RepositoryIndex,
  packages: RepositoryClientPackages,
  major: number,
  platform: Platform,
  dir: string,
): Promise<void> {
  const downloads = await mkdtemp(join(tmpdir(), 'pg-client-debs-'));
  try {
    const root = join(dir, 'root');
    for (const pkg of [packages.libpq, packages.client]) {
      const debPath = join(downloads, `${pkg.name}.deb`);
      await downloadVerified(`${index.mirror.replace(/\/+$/, '')}/${pkg.filename}`, debPath, pkg.sha256);
      await extractDeb(debPath, root);
    }
    await writeWrappers(dir, major, platform);
    await writeFile(
      join(dir, 'client.json'),
      `${JSON.stringify(
        {
          major,
          client: {
            package: packages.client.name,
            version: packages.client.version,
            sha256: packages.client.sha256,
          },
          libpq: {
            package: packages.libpq.name,
            version: packages.libpq.version,
            sha256: packages.libpq.sha256,
          },
          repository: index.mirror,
          suite: index.suite,
          index: { path: index.path, sha256: index.sha256 },
          arch: platform.debArch,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await rm(downloads, { recursive: true, force: true });
  }
}

async function writeWrappers(dir: string, major: number, platform: Platform): Promise<void> {
  const binDir = join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  for (const program of CLIENT_PROGRAMS) {
    const wrapper = join(binDir, program);
    await writeFile(wrapper, wrapperScript(program, major, platform));
    await chmod(wrapper, 0o755);
  }
}

/** A relocatable launcher: it finds `root/` beside its own folder, wherever the tool cache put it. */
export function wrapperScript(program: string, major: number, platform: Platform): string {
  return [
    '#!/bin/sh',
    `# ${program} ${major} from the PostgreSQL apt repository, run with the libpq extracted beside it.`,
    'here=$(dirname -- "$(readlink -f -- "$0")")',
    'root="$here/../root"',
    `LD_LIBRARY_PATH="$root/usr/lib/${platform.multiarch}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"`,
    'export LD_LIBRARY_PATH',
    `exec "$root/usr/lib/postgresql/${major}/bin/${program}" "$@"`,
    '',
  ].join('\n');
}
