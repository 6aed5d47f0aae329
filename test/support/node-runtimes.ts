/**
 * The Node.js versions a runner image puts on `PATH`, which is what the drill composite's `run: node …` steps
 * get (the main action gets the runner's own node24). They come from the npm registry's official builds
 * (`node-linux-<arch>`, the packages behind the `node` package), fetched with `npm pack`, which checks each
 * tarball against the registry's integrity hash, and unpacked once into `.cache/node/<version>-<arch>/`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CACHE_DIR, exists } from './debian-packages.js';

const execFileAsync = promisify(execFile);

/** Exact builds, so that every run tests the same runtimes; the newest of each line when they were pinned. */
export const PATH_NODE_VERSIONS = { 20: '20.20.2', 22: '22.23.5' } as const;
export type PathNodeMajor = keyof typeof PATH_NODE_VERSIONS;
export const PATH_NODE_MAJORS = Object.keys(PATH_NODE_VERSIONS).map(Number) as PathNodeMajor[];

/** The folder holding `node` of `major`, downloaded on first use. */
export async function ensureNodeRuntime(major: PathNodeMajor): Promise<string> {
  const version = PATH_NODE_VERSIONS[major];
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const dir = join(CACHE_DIR, 'node', `${version}-${arch}`);
  const bin = join(dir, 'bin');
  if (await exists(join(bin, 'node'))) return bin;
  const scratch = await mkdtemp(join(tmpdir(), 'node-runtime-'));
  try {
    const { stdout } = await execFileAsync(
      'npm',
      ['pack', `node-linux-${arch}@${version}`, '--pack-destination', scratch, '--json', '--silent'],
      { cwd: scratch, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) throw new Error(`npm pack node-linux-${arch}@${version} reported no tarball`);
    const unpacked = join(scratch, 'unpacked');
    await mkdir(unpacked);
    await execFileAsync('tar', [
      '-xzf',
      join(scratch, packed.filename),
      '-C',
      unpacked,
      '--strip-components=1',
    ]);
    const { stdout: reported } = await execFileAsync(join(unpacked, 'bin', 'node'), ['--version']);
    if (reported.trim() !== `v${version}`)
      throw new Error(`node-linux-${arch}@${version} runs as ${reported}`);
    await mkdir(join(CACHE_DIR, 'node'), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(unpacked, dir);
    return bin;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
