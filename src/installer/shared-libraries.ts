/**
 * Proves that a client extracted from .debs can run here: every shared library its programs and libpq need is
 * found by this system's loader. The packages are unpacked without dpkg, so nothing installed what they depend
 * on, and a `container:` job on a slim image often lacks some of it (libldap, libreadline…). Missing libraries
 * are installed with the job's apt-get when the process may (root, or passwordless sudo); otherwise the error
 * names them and the line that installs them, instead of pg_dump's bare "cannot open shared object file".
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import * as core from '@actions/core';

import { runCapturing } from '../shared/child-process.js';
import { CLIENT_PROGRAMS } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import { dependencyNames } from './apt-index.js';

export interface MissingLibrary {
  readonly soname: string;
  /** File names of the checked files that need it, directly or through another library. */
  readonly neededBy: readonly string[];
}

export interface LibraryCheck {
  readonly missing: readonly MissingLibrary[];
  /** Files the loader could not inspect at all, with why: installing libraries would not help them. */
  readonly unrunnable: readonly { readonly path: string; readonly reason: string }[];
}

/** The real binaries of an extracted client (not its wrappers) with libpq, and the folder the wrappers put first. */
export interface ExtractedClient {
  /** Programs and shared libraries; a library is inspected with the loader its programs name. */
  readonly programs: readonly string[];
  readonly libraryPath: readonly string[];
}

export interface LibraryInstallOptions {
  /** The package manager, found on the PATH of `env` unless a path: `apt-get`. */
  readonly aptGet?: string;
  readonly sudo?: string;
  /** `process.getuid()`: root runs apt-get directly, anyone else through `sudo -n`. */
  readonly uid?: number;
  /** `process.env`: its PATH finds the commands, its LD_LIBRARY_PATH is inherited as the wrappers inherit it. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The files `installClientPackages` extracted into `dir`, as its wrappers run them. */
export function extractedClient(dir: string, major: number, multiarch: string): ExtractedClient {
  const libraries = join(dir, 'root', 'usr', 'lib', multiarch);
  const bin = join(dir, 'root', 'usr', 'lib', 'postgresql', String(major), 'bin');
  return {
    programs: [...CLIENT_PROGRAMS.map((program) => join(bin, program)), join(libraries, 'libpq.so.5')],
    libraryPath: [libraries],
  };
}

/**
 * Installs what the client's files miss, or throws naming the libraries, the files that need them and the
 * apt-get line that installs them. `depends` are the `Depends:` fields of the extracted packages: the names they
 * list are the packages' names on this release (libssl3t64 rather than libssl3 from Debian 13 on).
 */
export async function ensureSharedLibraries(
  client: ExtractedClient,
  depends: readonly string[],
  options: LibraryInstallOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const before = await runnableCheck(client, env);
  if (before.missing.length === 0) return;
  const packages = packagesFor(before.missing, depends);
  const sudo = (options.uid ?? process.getuid?.()) === 0 ? '' : 'sudo ';
  const apt = await aptGetAccess(options, env, sudo === '');
  if (typeof apt === 'string') throw missingError(before, packages, sudo, apt);
  core.info(
    `The client lacks ${describeMissing(before.missing)}: installing ${packages.join(' ')} with apt-get`,
  );
  // A failed update (one broken source among several) can leave lists the install still works from.
  const updated = await runAptGet(apt, ['update']);
  const failure = await runAptGet(apt, ['install', '-y', '--no-install-recommends', ...packages]);
  if (failure) throw missingError(before, packages, sudo, updated ? `${updated}; then ${failure}` : failure);
  const after = await runnableCheck(client, env);
  if (after.missing.length > 0) {
    const reason = `apt-get installed ${packages.join(' ')}, yet the loader still does not find them`;
    throw missingError(after, packagesFor(after.missing, depends), sudo, reason);
  }
  core.info(`Every shared library the client needs is found now`);
}

/**
 * Which libraries glibc's loader cannot find for each file, with `libraryPath` (then any inherited
 * LD_LIBRARY_PATH) searched first, as the wrappers do. The loader is run in trace mode, as `ldd` runs it: it
 * prints each library it would load, or `=> not found`, and runs nothing.
 */
export async function missingLibraries(
  programs: readonly string[],
  libraryPath: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<LibraryCheck> {
  const loaders = await Promise.all(programs.map(loaderOf));
  // A shared library names no loader of its own: the one its programs name is the one that will load it.
  const programLoader = loaders.find((found) => found.loader !== undefined)?.loader;
  const searched = [...libraryPath, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const traceEnv = { LD_TRACE_LOADED_OBJECTS: '1', ...(searched ? { LD_LIBRARY_PATH: searched } : {}) };
  const neededBy = new Map<string, string[]>();
  const unrunnable: { path: string; reason: string }[] = [];
  for (const [index, path] of programs.entries()) {
    const { loader = programLoader, reason } = loaders[index]!;
    const result =
      reason !== undefined || loader === undefined
        ? { reason: reason ?? 'names no dynamic loader, and no program checked with it does' }
        : await trace(loader, path, traceEnv);
    if (result.reason !== undefined) unrunnable.push({ path, reason: result.reason });
    for (const soname of result.missing ?? []) {
      neededBy.set(soname, [...(neededBy.get(soname) ?? []), basename(path)]);
    }
  }
  return { missing: [...neededBy].map(([soname, files]) => ({ soname, neededBy: files })), unrunnable };
}

/** The Debian package that provides `soname`: the name the Depends fields list if they list it, else policy's. */
export function libraryPackage(soname: string, depends: readonly string[]): string {
  // Every alternative counts: a library listed second still names its package on this release.
  const listed = new Set(depends.flatMap((field) => dependencyNames(field.replaceAll('|', ','))));
  const name = PACKAGE_EXCEPTIONS[soname] ?? policyName(soname);
  // The 64-bit time_t transition renamed libraries (Debian 13, Ubuntu 24.04) but not their sonames.
  return [name, `${name}t64`].find((candidate) => listed.has(candidate)) ?? name;
}

/** Sonames shipped in a package named after another library. */
const PACKAGE_EXCEPTIONS: Readonly<Record<string, string>> = {
  'libz.so.1': 'zlib1g',
  'libcrypto.so.3': 'libssl3',
  'libcrypto.so.1.1': 'libssl1.1',
  'liblber-2.5.so.0': 'libldap-2.5-0',
  'liblber.so.2': 'libldap2',
};

/** Debian policy 8.1: `libfoo.so.N` is in `libfooN`, `libfoo2.so.N` in `libfoo2-N`, `_` becoming `-`. */
function policyName(soname: string): string {
  const match = /^(.+?)\.so(?:\.(.+))?$/.exec(soname);
  if (!match) return soname.toLowerCase();
  const base = match[1]!.toLowerCase().replaceAll('_', '-');
  const version = match[2];
  if (version === undefined) return base;
  return /\d$/.test(base) ? `${base}-${version}` : `${base}${version}`;
}

function packagesFor(missing: readonly MissingLibrary[], depends: readonly string[]): string[] {
  return [...new Set(missing.map((library) => libraryPackage(library.soname, depends)))];
}

/** The missing libraries, or an error for files that cannot be inspected at all. */
async function runnableCheck(client: ExtractedClient, env: NodeJS.ProcessEnv): Promise<LibraryCheck> {
  const check = await missingLibraries(client.programs, client.libraryPath, env);
  if (check.unrunnable.length === 0) return check;
  const why = check.unrunnable.map(({ path, reason }) => `${basename(path)} ${reason}`).join('; ');
  throw new Error(`The PostgreSQL client from the apt repository cannot run on this system: ${why}.`);
}

/** ELF machine numbers by Node's architecture names, to name a program built for another machine. */
const MACHINES: Readonly<Record<number, string>> = {
  3: 'ia32',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x64',
  183: 'arm64',
  243: 'riscv64',
};
const PT_INTERP = 3;

/**
 * The loader a file names (none for a shared library), or why it cannot run here. Read before anything runs, so
 * that a program of another machine is named as such, not by what a loader (or `/bin/sh`, to which a spawn falls
 * back on ENOEXEC) makes of it.
 */
async function loaderOf(path: string): Promise<{ loader?: string; reason?: string }> {
  let elf: Buffer;
  try {
    elf = await readFile(path);
  } catch (error) {
    return { reason: `cannot be read: ${errorMessage(error)}` };
  }
  if (elf.length < 64 || elf.toString('latin1', 0, 4) !== '\x7fELF') {
    return { reason: 'is not an ELF program or library (a script, or a damaged download?)' };
  }
  const little = elf[5] === 1;
  const machine = little ? elf.readUInt16LE(18) : elf.readUInt16BE(18);
  const built = MACHINES[machine] ?? `ELF machine ${machine}`;
  if (built !== process.arch) return { reason: `is built for ${built}, and this machine is ${process.arch}` };
  if (elf[4] !== 2) return { reason: 'is a 32-bit ELF file, and only 64-bit clients are installed' };
  try {
    const loader = interpreter(elf, little);
    if (loader === undefined || (await isExecutable(loader))) return { loader };
    return { reason: `needs the loader ${loader}, which this system lacks: the client is built for glibc` };
  } catch {
    return { reason: 'is a damaged ELF file: its program headers run past its end' };
  }
}

/** The PT_INTERP path of a 64-bit ELF file. */
function interpreter(elf: Buffer, little: boolean): string | undefined {
  const u16 = (at: number) => (little ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number) => (little ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const u64 = (at: number) => Number(little ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at));
  const [phoff, phentsize, phnum] = [u64(32), u16(54), u16(56)];
  for (let header = phoff; header < phoff + phnum * phentsize; header += phentsize) {
    if (u32(header) !== PT_INTERP) continue;
    const [offset, size] = [u64(header + 8), u64(header + 32)];
    if (offset + size > elf.length) throw new RangeError('PT_INTERP past the end');
    return elf.toString('latin1', offset, offset + size).replace(/\0[^]*$/, '');
  }
  return undefined;
}

/** What the loader traced for one file: the sonames it did not find, and why it refused the file if it did. */
type Finding = { missing?: string[]; reason?: string };

async function trace(loader: string, path: string, env: NodeJS.ProcessEnv): Promise<Finding> {
  const { stdout, exit } = await runCapturing(loader, [path], env);
  const missing = [...stdout.matchAll(/^\s*(\S+) => not found$/gm)].map((match) => match[1]!);
  // The loader says on stderr what no library can fix (a symbol version this glibc lacks, a damaged file).
  if (exit.code === 0 && !exit.stderr) return { missing };
  const said =
    lastLines(exit.stderr) || (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
  return { missing, reason: `is refused by the loader ${loader}: ${said}` };
}

interface AptGet {
  readonly command: string;
  /** `[]` as root, `[sudo, '-n']` otherwise. */
  readonly prefix: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** How to run apt-get with the rights it needs, or why it cannot be run. */
async function aptGetAccess(
  options: LibraryInstallOptions,
  env: NodeJS.ProcessEnv,
  asRoot: boolean,
): Promise<AptGet | string> {
  const name = options.aptGet ?? 'apt-get';
  const command = await onPath(name, env.PATH ?? '');
  if (!command) return `there is no ${name} on PATH to install them with`;
  if (asRoot) return { command, prefix: [], env };
  const sudo = await onPath(options.sudo ?? 'sudo', env.PATH ?? '');
  if (!sudo) return 'this process is not root, and there is no sudo on PATH';
  const { exit } = await runCapturing(sudo, ['-n', 'true'], env);
  if (exit.code === 0) return { command, prefix: [sudo, '-n'], env };
  const said = lastLines(exit.stderr) || `exit code ${exit.code}`;
  return `this process is not root, and sudo needs a password (sudo -n true: ${said})`;
}

/** Runs one apt-get command; undefined when it succeeded, else what it said last. */
async function runAptGet(apt: AptGet, args: readonly string[]): Promise<string | undefined> {
  // Through env(1), because sudo does not pass the caller's environment on.
  const argv = [...apt.prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', apt.command, ...args];
  const shown = `${apt.prefix.length ? 'sudo ' : ''}apt-get ${args.join(' ')}`;
  core.info(`Running ${shown}`);
  const { stdout, exit } = await runCapturing(argv[0]!, argv.slice(1), apt.env);
  if (exit.code === 0) return undefined;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const said = lastLines(exit.stderr) || lastLines(stdout);
  return `${shown} ${how}${said ? `: ${said}` : ''}`;
}

/** `sudo` is what the line needs before apt-get: `sudo ` unless root. */
function missingError(check: LibraryCheck, packages: readonly string[], sudo: string, reason: string): Error {
  const line = `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  return new Error(
    `The PostgreSQL client needs shared libraries this system does not have: ${describeMissing(check.missing)}. ` +
      `They could not be installed: ${reason}. Install them before this step (or use an image that has them): ` +
      line,
  );
}

function describeMissing(missing: readonly MissingLibrary[]): string {
  return missing.map((library) => `${library.soname} (needed by ${library.neededBy.join(', ')})`).join(', ');
}

async function onPath(command: string, path: string): Promise<string | undefined> {
  const dirs = path.split(delimiter).filter(Boolean);
  const candidates = command.includes('/') ? [command] : dirs.map((dir) => join(dir, command));
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' / ');
}
