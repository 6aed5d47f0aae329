/**
 * Debian packages the tests need on the machine (Ceph for the S3 server, age), installed with apt-get when their
 * commands are missing: as root directly, otherwise through passwordless sudo. A fresh CI machine has none of them,
 * and `npm test` is all it runs, so the tests install them themselves.
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

/** Directories searched besides PATH: a non-root user's PATH often lacks the sbin ones. */
const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/sbin'];
const APT_GET = ['apt-get', '-o', 'DPkg::Lock::Timeout=300'];
const APT_OUTPUT_LIMIT = 64 * 1024 * 1024;

/** Installs the packages of every command not found, or throws an error saying how to install them. */
export async function ensureSystemPackages(required: readonly RequiredCommand[]): Promise<void> {
  const missing = await missingCommands(required);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((entry) => entry.pkg))];
  const prefix = await privilegePrefix();
  if (!prefix) throw notInstalledError(missing, packages, 'apt-get needs root or passwordless sudo');
  console.log(`Installing Debian packages for the tests: ${packages.join(' ')}`);
  await aptInstall(prefix, packages);
  const stillMissing = await missingCommands(missing);
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

async function missingCommands(required: readonly RequiredCommand[]): Promise<RequiredCommand[]> {
  const found = await Promise.all(required.map((entry) => findCommand(entry.command)));
  return required.filter((_, index) => found[index] === undefined);
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
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
  missing: readonly RequiredCommand[],
  packages: readonly string[],
  reason: string,
): Error {
  const commands = missing.map((entry) => entry.command).join(', ');
  return new Error(
    `The tests need ${commands} (${reason}). ` +
      `Install them with: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`,
  );
}
