/**
 * Real PostgreSQL 17 and 18 clients for the tests: Debian trixie's postgresql-client-17 and forky's
 * postgresql-client-18. Their binaries need a newer glibc than this machine's, so each client is extracted with
 * its suite's libpq5 and runtime libraries (glibc included) into `<dir>/root/`, and `<dir>/bin/` holds wrapper
 * scripts that run the binaries through that root's own loader. The wrappers find the root relative to
 * themselves, so the folder can be copied or moved (into a tool cache, say) and still work.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { extractDeb } from '../../src/installer/deb-archive.js';
import { CACHE_DIR, type DebianSuite, ensureDebianPackages, exists } from './debian-packages.js';

const execFileAsync = promisify(execFile);

export type ClientMajor = 17 | 18;

export const CLIENT_TOOLS = ['pg_dump', 'pg_restore', 'psql', 'pg_dumpall'] as const;
export type ClientTool = (typeof CLIENT_TOOLS)[number];

export interface WrappedClient {
  /** Holds `bin/` (the wrappers) and `root/` (the extracted packages). */
  readonly dir: string;
  /** `major.minor`, as `pg_dump --version` prints it, e.g. `17.6`. */
  readonly version: string;
}

const CLIENT_SUITES: Readonly<Record<ClientMajor, DebianSuite>> = { 17: 'trixie', 18: 'forky' };
const CLIENTS_DIR = join(CACHE_DIR, 'clients');
/** The tool name and architecture folder @actions/tool-cache files the client under. */
export const TOOL_CACHE_NAME = 'postgresql-client';
const TOOL_CACHE_ARCH = 'x64';

/** The wrapped client of `major`, built into `.cache/clients/<major>/` on first use. */
export async function ensureWrappedClient(major: ClientMajor): Promise<WrappedClient> {
  const dir = join(CLIENTS_DIR, String(major));
  const wrapped = await Promise.all(
    CLIENT_TOOLS.flatMap((tool) => [exists(join(dir, 'bin', tool)), exists(join(shimDir(dir, major), tool))]),
  );
  if (wrapped.includes(false)) {
    // Built before a tool was added to CLIENT_TOOLS: built again, whole.
    await rm(dir, { recursive: true, force: true });
    await buildClient(major, dir);
  }
  return { dir, version: await clientVersion(dir, major) };
}

/**
 * Copies the wrapped client of `major` into `toolCacheDir` the way @actions/tool-cache's `cacheDir` lays a tool
 * out (`postgresql-client/<x.y.0>/x64/` and its `x64.complete` marker), so `tc.find('postgresql-client', major)`
 * finds it. Returns the x64 folder.
 */
export async function seedToolCache(toolCacheDir: string, major: ClientMajor): Promise<string> {
  const client = await ensureWrappedClient(major);
  const target = join(toolCacheDir, TOOL_CACHE_NAME, `${client.version}.0`, TOOL_CACHE_ARCH);
  await rm(target, { recursive: true, force: true });
  await cp(client.dir, target, { recursive: true, verbatimSymlinks: true });
  await writeFile(`${target}.complete`, '');
  return target;
}

/** The paths that `ld.so --list` resolves for a tool's shared libraries, the loader itself included. */
export async function loadedLibraries(dir: string, major: ClientMajor, tool: ClientTool): Promise<string[]> {
  const root = join(dir, 'root');
  const libraries = join(root, 'usr/lib/x86_64-linux-gnu');
  const { stdout } = await execFileAsync(join(libraries, 'ld-linux-x86-64.so.2'), [
    '--library-path',
    `${libraries}:${join(root, 'lib/x86_64-linux-gnu')}`,
    '--list',
    join(root, `usr/lib/postgresql/${major}/bin/${tool}`),
  ]);
  return [...stdout.matchAll(/=> (\S+)/g)].map((match) => match[1] ?? '');
}

/** Builds in a temporary sibling folder and renames it into place, so concurrent builders never clash. */
async function buildClient(major: ClientMajor, dir: string): Promise<void> {
  await mkdir(CLIENTS_DIR, { recursive: true });
  const temp = await mkdtemp(join(CLIENTS_DIR, `.${major}-`));
  try {
    const debs = await ensureDebianPackages(CLIENT_SUITES[major], [`postgresql-client-${major}`, 'libpq5'], {
      withLibraryDependencies: true,
    });
    for (const deb of debs) await extractDeb(deb.path, join(temp, 'root'));
    await writeWrappers(temp, major);
    await assertSelfContained(temp, major);
    await chmod(temp, 0o755); // mkdtemp made it private
    await rename(temp, dir).catch(async (error: unknown) => {
      // Another process finished first: its build is as good as this one.
      if (!(await exists(join(dir, 'bin')))) throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * `bin/` holds the wrappers; `root/usr/lib/postgresql/<major>/shim/` the same scripts again, where pg_dumpall
 * believes it lives: it runs `pg_dump -V` from its own folder, which must go through the loader as well.
 */
async function writeWrappers(dir: string, major: ClientMajor): Promise<void> {
  await mkdir(join(dir, 'bin'));
  await mkdir(shimDir(dir, major), { recursive: true });
  for (const tool of CLIENT_TOOLS) {
    for (const path of [join(dir, 'bin', tool), join(shimDir(dir, major), tool)]) {
      await writeFile(path, wrapperScript(major, tool));
      await chmod(path, 0o755);
    }
  }
}

function shimDir(dir: string, major: ClientMajor): string {
  return join(dir, 'root', 'usr', 'lib', 'postgresql', String(major), 'shim');
}

function wrapperScript(major: ClientMajor, tool: ClientTool): string {
  return [
    '#!/bin/sh',
    `# ${tool} of PostgreSQL ${major} from Debian ${CLIENT_SUITES[major]}, run by the glibc loader in ../root`,
    "# (the host's glibc is too old). The root is found relative to this script, even through a symlink, from",
    '# bin/ or from the shim/ folder the program is told it runs from (--argv0), so it finds its siblings there.',
    'here="$(dirname "$(readlink -f "$0")")"',
    'case "$here" in */shim) root="${here%/usr/lib/postgresql/*}" ;; *) root="$(dirname "$here")/root" ;; esac',
    'lib="$root/usr/lib/x86_64-linux-gnu"',
    `exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:$root/lib/x86_64-linux-gnu" \\`,
    `  --argv0 "$root/usr/lib/postgresql/${major}/shim/${tool}" "$root/usr/lib/postgresql/${major}/bin/${tool}" "$@"`,
    '',
  ].join('\n');
}

/** Fails when a tool would load a library from outside the root, i.e. the dependency closure missed one. */
async function assertSelfContained(dir: string, major: ClientMajor): Promise<void> {
  const root = join(dir, 'root');
  for (const tool of CLIENT_TOOLS) {
    const outside = (await loadedLibraries(dir, major, tool)).filter((path) => !path.startsWith(`${root}/`));
    if (outside.length > 0)
      throw new Error(`${tool} ${major} loads libraries from the host: ${outside.join(', ')}`);
  }
}

async function clientVersion(dir: string, major: ClientMajor): Promise<string> {
  const { stdout } = await execFileAsync(join(dir, 'bin', 'pg_dump'), ['--version']);
  const version = new RegExp(`^pg_dump \\(PostgreSQL\\) (${major}\\.\\d+)`).exec(stdout)?.[1];
  if (!version) throw new Error(`the wrapped client in ${dir} is not PostgreSQL ${major}: ${stdout.trim()}`);
  return version;
}
