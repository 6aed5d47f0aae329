import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLIENT_PROGRAMS } from '../shared/constants.js';

const execFileAsync = promisify(execFile);

export type ClientSource = 'runner' | 'tool cache' | 'Actions cache' | 'apt repository';

/** The `pg-dump-source` output's word for each source. */
export const CLIENT_SOURCE_OUTPUT: Record<ClientSource, string> = {
  runner: 'runner',
  'tool cache': 'tool-cache',
  'Actions cache': 'actions-cache',
  'apt repository': 'apt-repository',
};

/** A working set of pg_dump, pg_restore and psql of one major version, all in `binDir`. */
export interface PgClient {
  readonly major: number;
  /** e.g. `16.6`, from `pg_dump --version`. */
  readonly version: string;
  readonly binDir: string;
  readonly source: ClientSource;
}

export interface ClientVersion {
  readonly major: number;
  readonly version: string;
}

/** Reads `pg_dump (PostgreSQL) 16.6 (Ubuntu 16.6-1.pgdg24.04+1)` and the like. */
export function parseClientVersion(output: string): ClientVersion | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(\w*)/.exec(output);
  if (!match) return undefined;
  const major = Number(match[1]);
  const version = match[2] === undefined ? `${match[1]}${match[3] ?? ''}` : `${match[1]}.${match[2]}`;
  return { major, version };
}

/**
 * Runs the client programs in `binDir` and returns what `pg_dump --version` says, or undefined when any of them
 * is missing or does not run (a broken cache entry, a binary for another platform, a missing library).
 */
export async function probeClient(binDir: string): Promise<ClientVersion | undefined> {
  for (const program of CLIENT_PROGRAMS) {
    try {
      await access(join(binDir, program), constants.X_OK);
    } catch {
      return undefined;
    }
  }
  try {
    const versionOf = async (program: string) =>
      parseClientVersion(
        (await execFileAsync(join(binDir, program), ['--version'], { timeout: 30_000 })).stdout,
      );
    const [dump, restore] = await Promise.all([versionOf('pg_dump'), versionOf('pg_restore')]);
    return dump && restore?.major === dump.major ? dump : undefined;
  } catch {
    return undefined;
  }
}

/** The semver-shaped version the tool cache files a client under: `16.6` → `16.6.0`. */
export function toolCacheVersion(version: ClientVersion): string {
  const [, minor] = /^\d+\.(\d+)/.exec(version.version) ?? [];
  return `${version.major}.${minor ?? '0'}.0`;
}

/** Orders `15.18` before `15.20` (and `18beta1` before `18.0`); only the major and the point release count. */
export function comparePointReleases(a: string, b: string): number {
  const parse = (version: string) => {
    const match = /^(\d+)(?:\.(\d+))?/.exec(version);
    return match ? [Number(match[1]), match[2] === undefined ? -1 : Number(match[2])] : [0, -1];
  };
  const [x, y] = [parse(a), parse(b)];
  return x[0]! - y[0]! || x[1]! - y[1]!;
}
