import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CLIENT_PROGRAMS } from '../shared/constants.js';
import { type AptPackage, newestPackage, parsePackagesIndex } from './apt-index.js';
import { extractDeb } from './deb-archive.js';
import type { Platform } from './platform.js';
import { DownloadError, downloadVerified, fetchBuffer } from './verified-download.js';

/** The `Packages` index of one suite of a PostgreSQL apt repository. */
export interface RepositoryIndex {
  /** The URL of the repository root (the `pg-apt-mirror` input). */
  readonly mirror: string;
  readonly suite: string;
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

/** Fetches `dists/<codename>-pgdg/main/binary-<arch>/Packages.gz` (or the uncompressed `Packages`). */
export async function fetchRepositoryIndex(mirror: string, platform: Platform): Promise<RepositoryIndex> {
  const suite = suiteFor(platform);
  const base = `${mirror.replace(/\/+$/, '')}/dists/${suite}/main/binary-${platform.debArch}/Packages`;
  let text: string;
  try {
    text = gunzipSync(await fetchBuffer(`${base}.gz`)).toString('utf8');
  } catch (error) {
    if (!(error instanceof DownloadError && error.status === 404)) throw error;
    try {
      text = (await fetchBuffer(base)).toString('utf8');
    } catch (plainError) {
      if (plainError instanceof DownloadError && plainError.status === 404) {
        throw new PackageNotInRepositoryError(
          `the apt repository ${mirror} has no suite ${suite} for ${platform.debArch} ` +
            `(${platform.prettyName} may be too new or too old for it)`,
        );
      }
      throw plainError;
    }
  }
  return { mirror, suite, packages: parsePackagesIndex(text) };
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
