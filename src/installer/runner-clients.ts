import { readdir, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { type PgClient, probeClient } from './pg-client.js';

/** Where clients already on the runner are looked for. */
export interface RunnerSearch {
  /** Folders holding `<major>/bin`, as `/usr/lib/postgresql` does on Debian and Ubuntu images. */
  readonly systemRoots: readonly string[];
  /** The PATH folders. */
  readonly pathDirs: readonly string[];
}

export function defaultRunnerSearch(env: NodeJS.ProcessEnv = process.env): RunnerSearch {
  return {
    systemRoots: ['/usr/lib/postgresql'],
    pathDirs: (env.PATH ?? '').split(delimiter).filter(Boolean),
  };
}

/** Every working client on the runner, versioned folders first, then PATH order; each folder once. */
export async function listRunnerClients(search: RunnerSearch): Promise<PgClient[]> {
  const candidates: string[] = [];
  for (const root of search.systemRoots) {
    const entries = await readdir(root).catch(() => []);
    const majors = entries.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b));
    candidates.push(...majors.map((major) => join(root, major, 'bin')));
  }
  candidates.push(...search.pathDirs);

  const seen = new Set<string>();
  const clients: PgClient[] = [];
  for (const dir of candidates) {
    const real = await realpath(dir).catch(() => undefined);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    const version = await probeClient(dir);
    if (version) clients.push({ ...version, binDir: dir, source: 'runner' });
  }
  return clients;
}
