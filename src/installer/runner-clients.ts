import { readdir, realpath } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
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
  const unique: string[] = [];
  for (const dir of candidates) {
    const real = await realpath(dir).catch(() => undefined);
    if (!real || seen.has(real) || (await isPgWrapper(dir))) continue;
    seen.add(real);
    unique.push(dir);
  }
  // Each probe runs two programs; probing the folders at once keeps the lookup to about one program's start-up.
  const versions = await Promise.all(unique.map((dir) => probeClient(dir)));
  return unique.flatMap((dir, index) => {
    const version = versions[index];
    return version ? [{ ...version, binDir: dir, source: 'runner' as const }] : [];
  });
}

/**
 * Debian's and Ubuntu's `/usr/bin/pg_dump` is `pg_wrapper`, a Perl script that runs one of the clients in
 * `/usr/lib/postgresql/<major>/bin`, which are listed on their own: probing it would only start Perl twice.
 */
async function isPgWrapper(dir: string): Promise<boolean> {
  const target = await realpath(join(dir, 'pg_dump')).catch(() => '');
  return basename(target) === 'pg_wrapper';
}
