/**
 * Debian packages the tests need on the machine (Ceph for the S3 server, age, the client's readline), installed
 * with apt-get when their commands or libraries are missing: as root directly, otherwise through passwordless
 * sudo. A fresh CI machine has none of them, and `npm test` is all it runs, so the tests install them themselves.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RequiredCommand {
  /** A program's file name, e.g. `radosgw`. */
  readonly command: string;
  /** The Debian package that provides it, e.g. `radosgw`. */
  readonly pkg: string;
}

export interface RequiredLibrary {
  /** A shared library's file name, e.g. `libreadline.so.8`. */
  readonly soname: string;
  /** A package that provides it on every release the tests run on (a t64 package provides its old name). */
  readonly pkg: string;
}

/**
 * What the bookworm client the tests extract from .debs needs beyond the libraries `mirror-client-libraries.ts`
 * puts on LD_LIBRARY_PATH, which are pg_dump's: psql's readline, which a fresh Debian root lacks (bash has its own).
 */
export const CLIENT_RUNTIME_LIBRARIES: readonly RequiredLibrary[] = [
  { soname: 'libreadline.so.8', pkg: 'libreadline8' },
];

/** Where Debian keeps this machine's libraries (merged /usr makes them one folder). */
const TRIPLET = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
const LIBRARY_DIRS = [`/usr/lib/${TRIPLET}`, `/lib/${TRIPLET}`];

/** Directories searched besides PATH: a non-root user's PATH often lacks the sbin ones. */
const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/sbin'];
const APT_GET = ['apt-get', '-o', 'DPkg::Lock::Timeout=300'];
const APT_OUTPUT_LIMIT = 64 * 1024 * 1024;

/** Installs the packages of every command not found, or throws an error saying how to install them. */
export async function ensureSystemPackages(required: readonly RequiredCommand[]): Promise<void> {
  const present = async (command: string) => (await findCommand(command)) !== undefined;
  await ensureInstalled(
    required.map(({ command, pkg }) => ({ name: command, pkg })),
    present,
  );
}

/** Installs the packages of every shared library not in the system's library folders, or throws saying how. */
export async function ensureSystemLibraries(required: readonly RequiredLibrary[]): Promise<void> {
  const present = async (soname: string) =>
    (await Promise.all(LIBRARY_DIRS.map((dir) => exists(join(dir, soname))))).includes(true);
  await ensureInstalled(
    required.map(({ soname, pkg }) => ({ name: soname, pkg })),
    present,
  );
}

/**
 * Installs those of `packages` (Debian package names) that dpkg does not list as installed, or throws saying how:
 * for a program this machine runs from an extracted .deb, whose dependencies apt would have installed with it.
 */
export async function ensureDebianPackagesInstalled(packages: readonly string[]): Promise<void> {
  await ensureInstalled(
    packages.map((pkg) => ({ name: pkg, pkg })),
    isInstalled,
  );
}

async function isInstalled(pkg: string): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync('dpkg-query', ['--show', '--showformat=${db:Status-Abbrev}', pkg]);
    return stdout.startsWith('ii');
  } catch {
    return false;
  }
}

interface Requirement {
  /** The command or library looked for. */
  readonly name: string;
  readonly pkg: string;
}

async function ensureInstalled(
  required: readonly Requirement[],
  present: (name: string) => Promise<boolean>,
): Promise<void> {
  const missingOf = async (entries: readonly Requirement[]) => {
    const found = await Promise.all(entries.map((entry) => present(entry.name)));
    return entries.filter((_, index) => !found[index]);
  };
  const missing = await missingOf(required);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((entry) => entry.pkg))];
  const prefix = await privilegePrefix();
  if (!prefix) throw notInstalledError(missing, packages, 'apt-get needs root or passwordless sudo');
  console.log(`Installing Debian packages for the tests: ${packages.join(' ')}`);
  await aptInstall(prefix, packages);
  const stillMissing = await missingOf(missing);
  if (stillMissing.length > 0)
    throw notInstalledError(stillMissing, packages, 'installed, yet still not found');
}

/** Where a command is found (PATH, then the sbin folders), or undefined. */
export async function findCommand(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const path = join(dir, command);
    if (await isExecutable(path)) return path;
  }
  return undefined;
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** How to run apt-get with the rights it needs: directly as root, through `sudo -n` otherwise; undefined if neither. */
async function privilegePrefix(): Promise<string[] | undefined> {
  if (process.getuid?.() === 0) return [];
  try {
    await execFileAsync('sudo', ['-n', 'true']);
    return ['sudo', '-n'];
  } catch {
    return undefined;
  }
}

/** Installs, running `apt-get update` and trying again when the first attempt fails (as it does without lists). */
async function aptInstall(prefix: readonly string[], packages: readonly string[]): Promise<void> {
  const install = [...APT_GET, 'install', '-y', '--no-install-recommends', ...packages];
  try {
    await runAsAdmin(prefix, install);
  } catch {
    await runAsAdmin(prefix, [...APT_GET, 'update']);
    await runAsAdmin(prefix, install);
  }
}

async function runAsAdmin(prefix: readonly string[], command: readonly string[]): Promise<void> {
  const argv = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', ...command];
  try {
    await execFileAsync(argv[0]!, argv.slice(1), { maxBuffer: APT_OUTPUT_LIMIT });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${argv.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

function notInstalledError(
  missing: readonly Requirement[],
  packages: readonly string[],
  reason: string,
): Error {
  const names = missing.map((entry) => entry.name).join(', ');
  return new Error(
    `The tests need ${names} (${reason}). ` +
      `Install them with: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`,
  );
}
