/**
 * The check that an extracted client's shared libraries resolve, on Debian bookworm's real postgresql-client-15
 * and libpq5. A library is hidden without root by renaming, in a copy of a binary, one soname its dynamic section
 * needs to one no system has; the package manager and sudo are small scripts that record how they were run.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { AptPackage } from '../src/installer/apt-index.js';
import { extractDeb } from '../src/installer/deb-archive.js';
import {
  ensureSharedLibraries,
  type ExtractedClient,
  extractedClient,
  libraryPackage,
  missingLibraries,
} from '../src/installer/shared-libraries.js';
import { captureStdout } from './support/capture.js';
import { ensureDebianPackages } from './support/debian-packages.js';
import { CLIENT_RUNTIME_LIBRARIES, ensureSystemLibraries } from './support/system-packages.js';

const execFileAsync = promisify(execFile);

/** The test bed's Debian packages are amd64 ones. */
const MULTIARCH = 'x86_64-linux-gnu';
const HIDDEN = 'libcryptX.so.3';
/** Policy's name for the hidden soname: no Depends field lists it. */
const HIDDEN_PACKAGE = 'libcryptx3';
const INSTALL_LINE = `apt-get install -y --no-install-recommends ${HIDDEN_PACKAGE}`;

let scratch: string;
let client: ExtractedClient;
let depends: string[];
let libraryDir: string;
let pgDump: string;
/** pg_dump needing libcryptX.so.3 where the real one needs libcrypto.so.3, with the real libpq. */
let hidden: ExtractedClient;

beforeAll(async () => {
  await ensureSystemLibraries(CLIENT_RUNTIME_LIBRARIES);
  scratch = await mkdtemp(join(tmpdir(), 'shared-libraries-'));
  const debs = await ensureDebianPackages('bookworm', ['postgresql-client-15', 'libpq5']);
  for (const deb of debs) await extractDeb(deb.path, join(scratch, 'client', 'root'));
  client = extractedClient(join(scratch, 'client'), 15, MULTIARCH);
  depends = debs.map((deb) => deb.pkg.depends);
  [pgDump] = client.programs as [string];
  libraryDir = client.libraryPath[0]!;
  const hiddenDump = await patchedCopy(pgDump, 'hidden', (elf) => renameOnce(elf, 'libcrypto.so.3', HIDDEN));
  hidden = { programs: [hiddenDump, join(libraryDir, 'libpq.so.5')], libraryPath: [libraryDir] };
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of `path`, changed by `patch`, in a folder of `scratch` of its own. */
async function patchedCopy(path: string, folder: string, patch: (elf: Buffer) => unknown): Promise<string> {
  const copy = join(scratch, folder, path.slice(path.lastIndexOf('/') + 1));
  await mkdir(join(scratch, folder), { recursive: true });
  const elf = await readFile(path);
  patch(elf);
  await writeFile(copy, elf);
  await chmod(copy, 0o755);
  return copy;
}

/** Renames the one NUL-delimited string `from` (a soname in `.dynstr`, a loader path) to `to`, as long. */
function renameOnce(elf: Buffer, from: string, to: string): Buffer {
  expect(to).toHaveLength(from.length);
  const needle = Buffer.from(`\0${from}\0`, 'latin1');
  const at = elf.indexOf(needle);
  expect(at, `${from} is in the file`).toBeGreaterThan(0);
  expect(elf.indexOf(needle, at + 1), `${from} is in the file once`).toBe(-1);
  elf.write(to, at + 1, 'latin1');
  return elf;
}

/** A per-test folder for the fake commands and what they record. */
let bin: string;
beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'shared-libraries-bin-'));
});
afterEach(async () => {
  await rm(bin, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(bin, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/**
 * An apt-get that records its environment's DEBIAN_FRONTEND and its arguments, runs `update` (shell; by default
 * it succeeds) at `update`, and at `install` runs `install` and exits 0, or says what apt-get says of an unknown
 * package and exits 100.
 */
async function fakeAptGet(
  shell: { update?: string; install?: string } = {},
): Promise<{ path: string; runs: () => Promise<string[]> }> {
  const { update = 'exit 0', install } = shell;
  const log = join(bin, 'apt-get.log');
  const path = await script(
    'apt-get',
    [
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> '${log}'`,
      `if [ "$1" = update ]; then ${update}; fi`,
      install ? `${install}; exit 0` : 'for last in "$@"; do :; done',
      'echo "Reading package lists..."',
      'echo "E: Unable to locate package $last" >&2',
      'exit 100',
    ].join('\n'),
  );
  const runs = () =>
    readFile(log, 'utf8').then(
      (text) => text.trim().split('\n'),
      () => [],
    );
  return { path, runs };
}

/** A job's environment: `bin` before the system's tools on PATH, the test bed's libraries (and `extraLibraries`). */
function jobEnv(extraLibraries?: string): NodeJS.ProcessEnv {
  const inherited = [extraLibraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { PATH: `${bin}:/usr/bin:/bin`, ...(inherited ? { LD_LIBRARY_PATH: inherited } : {}) };
}

async function failure(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe('the libraries of a client extracted from .debs', () => {
  it('all resolve for the real client, its four programs and libpq, and nothing is installed', async () => {
    expect(client.programs.map((path) => path.slice(scratch.length))).toEqual([
      '/client/root/usr/lib/postgresql/15/bin/pg_dump',
      '/client/root/usr/lib/postgresql/15/bin/pg_restore',
      '/client/root/usr/lib/postgresql/15/bin/psql',
      '/client/root/usr/lib/postgresql/15/bin/pg_dumpall',
      `/client/root/usr/lib/${MULTIARCH}/libpq.so.5`,
    ]);
    expect(await missingLibraries(client.programs, client.libraryPath)).toEqual({
      missing: [],
      unrunnable: [],
    });
    const apt = await fakeAptGet();
    const { stdout } = await captureStdout(() =>
      ensureSharedLibraries(client, depends, { aptGet: apt.path, uid: 0, env: jobEnv() }),
    );
    expect(await apt.runs()).toEqual([]);
    expect(stdout).toBe('');
  });

  it('names the hidden library and the program that needs it', async () => {
    expect(await missingLibraries(hidden.programs, hidden.libraryPath)).toEqual({
      missing: [{ soname: HIDDEN, neededBy: ['pg_dump'] }],
      unrunnable: [],
    });
  });

  it('names a library libpq needs, for libpq and for every program that loads it', async () => {
    const patchedDir = join(scratch, 'patched-libpq');
    const libpq = await patchedCopy(join(libraryDir, 'libpq.so.5'), 'patched-libpq', (elf) =>
      renameOnce(elf, 'libldap-2.5.so.0', 'libldaX-2.5.so.0'),
    );
    const programs = [pgDump, libpq];
    expect(await missingLibraries(programs, [patchedDir])).toEqual({
      missing: [{ soname: 'libldaX-2.5.so.0', neededBy: ['pg_dump', 'libpq.so.5'] }],
      unrunnable: [],
    });
  });

  it('fails with the exact apt-get line when there is no apt-get on PATH', async () => {
    const env = { ...jobEnv(), PATH: bin };
    const message = await failure(ensureSharedLibraries(hidden, depends, { uid: 0, env }));
    expect(message).toContain(`${HIDDEN} (needed by pg_dump)`);
    expect(message).toContain('there is no apt-get on PATH');
    expect(message).toMatch(new RegExp(`: apt-get update && ${INSTALL_LINE}$`));
  });

  it("as root, runs apt-get update and install, and fails with apt-get's own words", async () => {
    const apt = await fakeAptGet();
    const { result: message, stdout } = await captureStdout(() =>
      failure(ensureSharedLibraries(hidden, depends, { aptGet: apt.path, uid: 0, env: jobEnv() })),
    );
    expect(await apt.runs()).toEqual([
      'DEBIAN_FRONTEND=noninteractive update',
      `DEBIAN_FRONTEND=noninteractive install -y --no-install-recommends ${HIDDEN_PACKAGE}`,
    ]);
    expect(stdout).toContain(`Running ${INSTALL_LINE}`);
    expect(message).toContain(`${HIDDEN} (needed by pg_dump)`);
    expect(message).toContain(
      `${INSTALL_LINE} exited with code 100: E: Unable to locate package ${HIDDEN_PACKAGE}`,
    );
    expect(message).toMatch(new RegExp(`: apt-get update && ${INSTALL_LINE}$`));
  });

  it('still tries the install when apt-get update fails, and says what both said', async () => {
    const unsigned = "E: The repository 'http://mirror.example bookworm Release' is not signed.";
    const apt = await fakeAptGet({ update: `echo "${unsigned}" >&2; exit 100` });
    const { result: message } = await captureStdout(() =>
      failure(ensureSharedLibraries(hidden, depends, { aptGet: apt.path, uid: 0, env: jobEnv() })),
    );
    expect(await apt.runs()).toHaveLength(2);
    expect(message).toContain(
      `apt-get update exited with code 100: ${unsigned}; then ${INSTALL_LINE} exited with code 100: ` +
        `E: Unable to locate package ${HIDDEN_PACKAGE}`,
    );
  });

  it('not as root, and sudo asks for a password: runs no apt-get, and the line starts with sudo', async () => {
    const apt = await fakeAptGet();
    const sudo = await script('sudo', 'echo "sudo: a password is required" >&2\nexit 1');
    const message = await failure(
      ensureSharedLibraries(hidden, depends, { aptGet: apt.path, sudo, uid: 1000, env: jobEnv() }),
    );
    expect(await apt.runs()).toEqual([]);
    expect(message).toContain(`${HIDDEN} (needed by pg_dump)`);
    expect(message).toContain(
      'not root, and sudo needs a password (sudo -n true: sudo: a password is required)',
    );
    expect(message).toMatch(new RegExp(`: sudo apt-get update && sudo ${INSTALL_LINE}$`));
  });

  it('through passwordless sudo, installs the library and checks again', async () => {
    const installed = join(bin, 'installed');
    await mkdir(installed);
    const libcrypto = await systemLibrary(pgDump, 'libcrypto.so.3');
    const apt = await fakeAptGet({ install: `cp '${libcrypto}' '${join(installed, HIDDEN)}'` });
    const sudoLog = join(bin, 'sudo.log');
    const sudo = await script('sudo', `echo "$*" >> '${sudoLog}'\n[ "$1" = -n ] && shift\nexec "$@"`);
    const { stdout } = await captureStdout(() =>
      ensureSharedLibraries(hidden, depends, { aptGet: apt.path, sudo, uid: 1000, env: jobEnv(installed) }),
    );
    expect((await readFile(sudoLog, 'utf8')).trim().split('\n')).toEqual([
      '-n true',
      `-n env DEBIAN_FRONTEND=noninteractive ${apt.path} update`,
      `-n env DEBIAN_FRONTEND=noninteractive ${apt.path} install -y --no-install-recommends ${HIDDEN_PACKAGE}`,
    ]);
    expect(stdout).toContain(`installing ${HIDDEN_PACKAGE} with apt-get`);
    expect(stdout).toContain(`Running sudo ${INSTALL_LINE}`);
    expect(stdout).toContain('Every shared library the client needs is found now');
  });

  it('fails when apt-get succeeds and the library is still missing', async () => {
    const apt = await fakeAptGet({ install: 'true' });
    const { result: message, stdout } = await captureStdout(() =>
      failure(ensureSharedLibraries(hidden, depends, { aptGet: apt.path, uid: 0, env: jobEnv() })),
    );
    expect(await apt.runs()).toHaveLength(2);
    expect(stdout).toContain(`Running ${INSTALL_LINE}`);
    expect(message).toContain(`apt-get installed ${HIDDEN_PACKAGE}, yet the loader still does not find them`);
    expect(message).toContain(`${HIDDEN} (needed by pg_dump)`);
  });
});

/** Where this system's loader finds `soname` for `program`, asked without the module under test. */
async function systemLibrary(program: string, soname: string): Promise<string> {
  const env = { LD_TRACE_LOADED_OBJECTS: '1', LD_LIBRARY_PATH: libraryDir };
  const { stdout } = await execFileAsync(program, [], { env });
  const path = new RegExp(`^\\s*${soname.replaceAll('.', '\\.')} => (\\S+)`, 'm').exec(stdout)?.[1];
  if (!path) throw new Error(`the loader does not find ${soname} for ${program}:\n${stdout}`);
  return path;
}

describe('files the loader cannot inspect', () => {
  const otherMachine = process.arch === 'x64' ? { number: 183, name: 'arm64' } : { number: 62, name: 'x64' };

  it('names a program built for another machine, and installs nothing for it', async () => {
    const foreign = await patchedCopy(pgDump, 'foreign', (elf) => elf.writeUInt16LE(otherMachine.number, 18));
    const check = await missingLibraries([foreign], [libraryDir]);
    const reason = `is built for ${otherMachine.name}, and this machine is ${process.arch}`;
    expect(check).toEqual({ missing: [], unrunnable: [{ path: foreign, reason }] });
    const apt = await fakeAptGet();
    const foreignClient = { programs: [foreign], libraryPath: [libraryDir] };
    const message = await failure(
      ensureSharedLibraries(foreignClient, depends, { aptGet: apt.path, uid: 0 }),
    );
    expect(message).toBe(
      `The PostgreSQL client from the apt repository cannot run on this system: pg_dump ${reason}.`,
    );
    expect(await apt.runs()).toEqual([]);
  });

  it('names a program whose loader this system lacks', async () => {
    const loader = '/lib64/ld-linux-x86-64.so.2';
    const elsewhere = await patchedCopy(pgDump, 'elsewhere', (elf) =>
      renameOnce(elf, loader, '/lib64/ld-linux-x86-64.so.X'),
    );
    expect((await missingLibraries([elsewhere], [libraryDir])).unrunnable).toEqual([
      {
        path: elsewhere,
        reason:
          'needs the loader /lib64/ld-linux-x86-64.so.X, which this system lacks: the client is built for glibc',
      },
    ]);
  });

  it('names a script, and a shared library checked without a program', async () => {
    const wrapper = await script('pg_dump', 'exec true');
    const libpq = join(libraryDir, 'libpq.so.5');
    expect((await missingLibraries([wrapper, libpq], [libraryDir])).unrunnable).toEqual([
      { path: wrapper, reason: 'is not an ELF program or library (a script, or a damaged download?)' },
      { path: libpq, reason: 'names no dynamic loader, and no program checked with it does' },
    ]);
  });
});

describe('the Debian package of a missing soname', () => {
  let bookworm: string[];
  let trixie: string[];
  beforeAll(async () => {
    const dependsOf = (packages: readonly { pkg: AptPackage }[]) => packages.map(({ pkg }) => pkg.depends);
    bookworm = dependsOf(await ensureDebianPackages('bookworm', ['postgresql-client-15', 'libpq5']));
    trixie = dependsOf(await ensureDebianPackages('trixie', ['postgresql-client-17', 'libpq5']));
  });

  it("is the name bookworm's postgresql-client-15 and libpq5 list", () => {
    expect(bookworm.join(', ')).toContain('libldap-2.5-0');
    const sonames = [
      ['libpq.so.5', 'libpq5'],
      ['libc.so.6', 'libc6'],
      ['libssl.so.3', 'libssl3'],
      ['libcrypto.so.3', 'libssl3'],
      ['libz.so.1', 'zlib1g'],
      ['liblz4.so.1', 'liblz4-1'],
      ['libzstd.so.1', 'libzstd1'],
      ['libreadline.so.8', 'libreadline8'],
      ['libgssapi_krb5.so.2', 'libgssapi-krb5-2'],
      ['libldap-2.5.so.0', 'libldap-2.5-0'],
      ['liblber-2.5.so.0', 'libldap-2.5-0'],
    ];
    expect(sonames.map(([soname]) => [soname, libraryPackage(soname!, bookworm)])).toEqual(sonames);
  });

  it("is the t64 name trixie's postgresql-client-17 and libpq5 list", () => {
    const sonames = [
      ['libssl.so.3', 'libssl3t64'],
      ['libcrypto.so.3', 'libssl3t64'],
      ['libreadline.so.8', 'libreadline8t64'],
      ['libldap.so.2', 'libldap2'],
      ['liblber.so.2', 'libldap2'],
      ['libgssapi_krb5.so.2', 'libgssapi-krb5-2'],
      ['liblz4.so.1', 'liblz4-1'],
      ['libzstd.so.1', 'libzstd1'],
      ['libz.so.1', 'zlib1g'],
    ];
    expect(sonames.map(([soname]) => [soname, libraryPackage(soname!, trixie)])).toEqual(sonames);
  });

  it('is found among alternatives, and is taken as t64 only when listed so', () => {
    expect(libraryPackage('libssl.so.3', ['libc6 (>= 2.38), libssl1.1 | libssl3t64 (>= 3.0.0)'])).toBe(
      'libssl3t64',
    );
    expect(libraryPackage('libssl.so.3', [])).toBe('libssl3');
    expect(libraryPackage('libreadline.so.8', bookworm)).toBe('libreadline8');
  });

  it("is policy's name for a library no Depends field lists", () => {
    const sonames = [
      ['libsasl2.so.2', 'libsasl2-2'],
      ['libkrb5.so.3', 'libkrb5-3'],
      ['libk5crypto.so.3', 'libk5crypto3'],
      ['libcom_err.so.2', 'libcom-err2'],
      ['libgcc_s.so.1', 'libgcc-s1'],
      ['libstdc++.so.6', 'libstdc++6'],
      ['libcrypto.so.1.1', 'libssl1.1'],
      ['libfoo-1.2.so', 'libfoo-1.2'],
    ];
    expect(sonames.map(([soname]) => [soname, libraryPackage(soname!, trixie)])).toEqual(sonames);
  });
});
