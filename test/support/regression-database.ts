/**
 * PostgreSQL's own regression database: what PostgreSQL's regression suite leaves behind in database `regression`
 * after `installcheck` (about 4,500 objects of every kind, with the catalog's corner cases: partitions with
 * renamed foreign keys, shell operators, odd names, rules, every type of constraint). Nobody on this project wrote
 * it, so a drill of it tests the schema proof against what we did not think of.
 *
 * The suite is PostgreSQL 15's, from the source of Debian 12's own package (its `.orig` tarball in Debian's
 * archive, checked against the SHA-256 that bookworm's `Sources` index lists; the source of Debian 13's 17 is not
 * in the archive this project reaches), whatever the machine; only `pg_regress` and the
 * suite's C modules are built (`configure`, `make -C src/test/regress`: about a minute on two cores), once, into
 * `.cache/regression/<version>/`. gcc, make, bzip2 and the C library's headers are installed with apt-get when
 * missing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { decompress } from '../../src/installer/decompress.js';
import { fetchBuffer } from '../../src/installer/verified-download.js';
import { CACHE_DIR, exists } from './debian-packages.js';
import type { TestPostgres } from './postgres-server.js';
import { ensureDebianPackagesInstalled, ensureSystemPackages } from './system-packages.js';

const execFileAsync = promisify(execFile);
const DEBIAN_ARCHIVE = 'http://deb.debian.org/debian';
const OUTPUT_LIMIT = 64 * 1024 * 1024;

interface RegressionSuite {
  /** The PostgreSQL version of the source, e.g. `15.18`. */
  readonly version: string;
  /** `src/test/regress` of the built source tree: pg_regress, regress.so, sql/, expected/, the schedules. */
  readonly dir: string;
}

let built: Promise<RegressionSuite> | undefined;

/** The major of the suite, and of the servers it runs against. */
export const REGRESSION_MAJOR = 15;

/** The suite, built on first use. */
export function ensureRegressionSuite(): Promise<RegressionSuite> {
  return (built ??= build());
}

async function build(): Promise<RegressionSuite> {
  const source = await origTarball('bookworm', REGRESSION_MAJOR);
  const root = join(CACHE_DIR, 'regression', source.version);
  const dir = join(root, `postgresql-${source.version}`, 'src', 'test', 'regress');
  if (await exists(join(dir, 'pg_regress'))) return { version: source.version, dir };
  await ensureSystemPackages([
    { command: 'gcc', pkg: 'gcc' },
    { command: 'make', pkg: 'make' },
    { command: 'bzip2', pkg: 'bzip2' },
  ]);
  await ensureDebianPackagesInstalled(['libc6-dev']);
  await mkdir(join(root, '..'), { recursive: true });
  const temp = await mkdtemp(`${root}.partial-`);
  try {
    const tarball = join(temp, 'source.tar.bz2');
    await writeFile(tarball, source.body);
    await run('tar', ['-xjf', tarball, '-C', temp]);
    const tree = join(temp, `postgresql-${source.version}`);
    // Only what pg_regress and the suite's modules need: no readline, ICU or compression libraries.
    await run(
      './configure',
      ['--without-readline', '--without-icu', '--without-zlib', '--without-lz4'],
      tree,
    );
    await run('make', ['-s', '-j2', '-C', 'src/test/regress'], tree);
    await rm(tarball);
    await rename(temp, root).catch(async (error: unknown) => {
      if (!(await exists(join(dir, 'pg_regress')))) throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return { version: source.version, dir };
}

/** The newest `postgresql-<major>` source in the release's main suite: its upstream tarball, verified. */
async function origTarball(release: string, major: number): Promise<{ version: string; body: Buffer }> {
  const sources = (
    await decompress(await fetchBuffer(`${DEBIAN_ARCHIVE}/dists/${release}/main/source/Sources.xz`), 'xz')
  ).toString('utf8');
  const stanza = sources.split('\n\n').find((text) => text.startsWith(`Package: postgresql-${major}\n`));
  const directory = stanza && /^Directory: (\S+)$/m.exec(stanza)?.[1];
  const file =
    stanza &&
    new RegExp(`^ ([0-9a-f]{64}) \\d+ (postgresql-${major}_([\\d.]+)\\.orig\\.tar\\.bz2)$`, 'm').exec(stanza);
  if (!directory || !file)
    throw new Error(`Debian ${release}'s Sources index lists no postgresql-${major} tarball`);
  const [, sha256, name, version] = file;
  const body = await fetchBuffer(`${DEBIAN_ARCHIVE}/${directory}/${name}`);
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== sha256) throw new Error(`${name}: SHA-256 ${actual}, but the Sources index lists ${sha256}`);
  return { version: version!, body };
}

/**
 * Runs the regression suite's parallel schedule against `server` (installcheck: it creates and fills database
 * `regression`), with `psql` from `client.bin` (run with `client.env`). Some tests fail against a server of another point release or
 * built another way (their expected output differs); the database they leave is what counts. Its functions load
 * the suite's C modules by absolute path, from a copy the servers (nobody, when the tests run as root) can reach:
 * the returned `remove` deletes it, once no server of the test needs it any more.
 */
export async function seedRegressionDatabase(
  server: TestPostgres,
  client: { readonly bin: string; readonly env: NodeJS.ProcessEnv },
): Promise<{ remove(): Promise<void> }> {
  const suite = await ensureRegressionSuite();
  const copy = await mkdtemp(join(tmpdir(), 'regression-suite-'));
  const remove = () => rm(copy, { recursive: true, force: true });
  try {
    await cp(suite.dir, copy, { recursive: true });
    await chmod(copy, 0o755);
    await run(
      join(copy, 'pg_regress'),
      [
        `--inputdir=${copy}`,
        `--outputdir=${copy}`,
        `--bindir=${client.bin}`,
        `--dlpath=${copy}`,
        '--max-concurrent-tests=20',
        `--schedule=${join(copy, 'parallel_schedule')}`,
        `--host=${server.host}`,
        `--port=${server.port}`,
        `--user=${server.user}`,
      ],
      copy,
      { ...client.env, PGPASSWORD: server.password },
      // Failed tests exit 1: their database is still there.
      [0, 1],
    );
    return { remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function run(
  file: string,
  args: string[],
  cwd?: string,
  env: NodeJS.ProcessEnv = {},
  codes: readonly number[] = [0],
): Promise<void> {
  try {
    await execFileAsync(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: OUTPUT_LIMIT });
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof code === 'number' && codes.includes(code)) return;
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout.slice(-4000)}${stderr.slice(-4000)}`, {
      cause: error,
    });
  }
}
