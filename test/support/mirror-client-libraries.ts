/**
 * The local apt mirror serves Debian bookworm's postgresql-client-15, the one PostgreSQL major that Debian's own
 * archive still builds for an older release than every runner's. On a newer system it runs, but for the libraries
 * that release renamed: Debian 13 has libldap.so.2 where bookworm's libpq wants libldap-2.5.so.0. A machine that
 * runs the real PostgreSQL apt repository's client for its own release has them; here, the test bed gives the
 * mirror's client exactly the missing libraries, from bookworm's own packages, on `LD_LIBRARY_PATH` (after the
 * client's own libpq, which its wrapper puts first). On bookworm nothing is missing and nothing is added.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { extractDeb } from '../../src/installer/deb-archive.js';
import { MIRROR_CLIENT, mirrorDebianPackages } from './apt-mirror.js';
import { CACHE_DIR, ensureDebianPackages, exists } from './debian-packages.js';

const execFileAsync = promisify(execFile);

const MIRROR_MAJOR = 15;
/** Never taken from bookworm: the system's own loader and C library must stay together. */
const SYSTEM_ONLY = new Set(['libc6']);
const MAX_ROUNDS = 5;

/**
 * The folder of libraries the mirror's client needs and this machine lacks, or undefined when it lacks none.
 * Built once into `.cache/`; throws naming the libraries it cannot find in bookworm either.
 */
export async function mirrorClientLibraries(): Promise<string | undefined> {
  const dir = join(CACHE_DIR, 'mirror-client-libraries');
  const scratch = await mkdtemp(join(CACHE_DIR, '.mirror-client-'));
  try {
    const client = join(scratch, 'client');
    for (const deb of await mirrorDebianPackages()) await extractDeb(deb.path, client);
    const programs = [join(client, `usr/lib/postgresql/${MIRROR_MAJOR}/bin/pg_dump`)];
    const clientLibraries = await libraryDirs(client);
    if ((await missingLibraries(programs, clientLibraries)).length === 0) return undefined;
    if (!(await exists(dir))) await build(dir, scratch, programs, clientLibraries);
    return dir;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function build(dir: string, scratch: string, programs: string[], clientLibraries: string[]) {
  const bookworm = join(scratch, 'bookworm');
  const debs = await ensureDebianPackages('bookworm', [MIRROR_CLIENT, 'libpq5'], {
    withLibraryDependencies: true,
  });
  for (const deb of debs) if (!SYSTEM_ONLY.has(deb.pkg.name)) await extractDeb(deb.path, bookworm);
  const available = await filesByName(await libraryDirs(bookworm));
  const temp = join(scratch, 'libraries');
  await mkdir(temp);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const missing = await missingLibraries(programs, [...clientLibraries, temp]);
    if (missing.length === 0) {
      await mkdir(CACHE_DIR, { recursive: true });
      await rename(temp, dir);
      return;
    }
    const unknown = missing.filter((name) => !available.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `The mirror's client (bookworm's ${MIRROR_CLIENT}) needs ${unknown.join(', ')}, which neither this ` +
          'machine nor bookworm has',
      );
    }
    // Copied, not linked: the files are small, and a copy dereferences the soname's symlink.
    for (const name of missing) await copyFile(available.get(name)!, join(temp, name));
  }
  throw new Error(`The mirror's client still misses libraries after ${MAX_ROUNDS} rounds`);
}

/** The sonames that `ldd` reports as not found for any of `programs`, with `dirs` on the library path. */
async function missingLibraries(programs: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const env = { ...process.env, LD_LIBRARY_PATH: dirs.join(':') };
  const missing = new Set<string>();
  for (const program of programs) {
    const { stdout } = await execFileAsync('ldd', [program], { env });
    for (const match of stdout.matchAll(/^\s*(\S+) => not found$/gm)) missing.add(match[1]!);
  }
  return [...missing].sort();
}

/** The multiarch library folders below an extracted root (`usr/lib/<triplet>`, `lib/<triplet>`). */
async function libraryDirs(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const base of ['usr/lib', 'lib']) {
    const entries = await readdir(join(root, base), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.endsWith('-linux-gnu')) dirs.push(join(root, base, entry.name));
    }
  }
  return dirs;
}

/** Every file in `dirs` by its name (a soname's symlink included), the first one found winning. */
async function filesByName(dirs: readonly string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of await readdir(dir)) if (!files.has(name)) files.set(name, join(dir, name));
  }
  return files;
}
