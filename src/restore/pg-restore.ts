import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { describeExit, offlineToolEnvironment, startChild } from '../shared/child-process.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { libpqInvocation } from '../postgres/libpq-env.js';

export interface RestoreProblem {
  /** pg_restore's error line, e.g. `could not execute query: ERROR:  role "app_rw" does not exist`. */
  readonly error: string;
  /** The statement that failed, when pg_restore says. */
  readonly command?: string;
  /** What to do about it, for the causes users meet most: a missing extension or role. */
  readonly hint?: string;
}

export class RestoreError extends Error {
  constructor(
    message: string,
    readonly problems: readonly RestoreProblem[],
  ) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** Checks that the file is a custom-format archive pg_restore can read, before any database is touched. */
export async function listArchive(binDir: string, dumpPath: string): Promise<string> {
  const child = startChild(join(binDir, 'pg_restore'), ['--list', dumpPath], offlineToolEnvironment());
  let listing = '';
  child.process.stdout.setEncoding('utf8');
  child.process.stdout.on('data', (text: string) => (listing += text));
  const exit = await child.exit;
  if (exit.code !== 0) {
    throw new Error(
      `The decrypted backup is not an archive pg_restore can read: ${describeExit('pg_restore', exit)}`,
    );
  }
  return listing;
}

/**
 * Restores the archive into `database` on the target with the backup's pg_restore: with owners and privileges
 * when `ownership` (the roles exist by then), else without (`--no-owner --no-privileges`). Errors are not
 * ignored: pg_restore runs to the end so that every error is reported, and any error fails the restore.
 */
export async function runPgRestore(
  binDir: string,
  dumpPath: string,
  target: ConnectionTarget,
  database: string,
  targetMajor: number,
  options: { readonly ownership: boolean } = { ownership: false },
): Promise<void> {
  const { env, args } = libpqInvocation({ ...target, database });
  // Half the runner's cores, at most 4: the server already builds each index with parallel workers
  // (max_parallel_maintenance_workers, 2 by default), and a drill's server shares the runner: on 2 cores the bench
  // measured --jobs=2 slower than one job (docs/performance.md).
  const jobs = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));
  const child = startChild(
    join(binDir, 'pg_restore'),
    [
      ...(options.ownership ? [] : ['--no-owner', '--no-privileges']),
      `--jobs=${jobs}`,
      ...(args.length ? args : [`--dbname=${database}`]),
      dumpPath,
    ],
    env,
  );
  child.process.stdout.resume();
  const exit = await child.exit;
  if (exit.code === 0 && !exit.signal) return;
  const all = parseRestoreErrors(exit.stderr);
  if (!all.length) throw new RestoreError(describeExit('pg_restore', exit), []);
  const problems = all.filter((problem) => !isNewerSessionSetting(problem, targetMajor));
  if (!problems.length && !exit.signal) {
    core.warning(
      `pg_restore set ${all.length} session parameter(s) that PostgreSQL ${targetMajor} does not know ` +
        '(a newer client talking to an older server); they change no restored data, so the restore counts.',
    );
    return;
  }
  throw new RestoreError(
    `pg_restore reported ${problems.length} error${problems.length === 1 ? '' : 's'}:\n` +
      problems
        .map(
          (p) =>
            `- ${p.error}${p.command ? `\n  Statement: ${statementHead(p.command)}` : ''}` +
            (p.hint ? `\n  ${p.hint}` : ''),
        )
        .join('\n'),
    problems,
  );
}

/** Reads pg_restore's stderr: each `pg_restore: error: …` with the `Command was: …` that follows it. */
export function parseRestoreErrors(stderr: string): RestoreProblem[] {
  const problems: RestoreProblem[] = [];
  const lines = stderr.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^pg_restore: error: (.*)$/.exec(lines[i]!);
    if (!match) continue;
    let error = match[1]!;
    // The server's ERROR line can continue on the next lines (DETAIL, HINT), up to "Command was:".
    let command: string | undefined;
    for (let j = i + 1; j < lines.length && !lines[j]!.startsWith('pg_restore:'); j++) {
      const line = lines[j]!;
      if (line.startsWith('Command was: ')) {
        command = line.slice('Command was: '.length);
        break;
      }
      if (line.trim()) error += ` ${line.trim()}`;
    }
    const hint = hintFor(error);
    problems.push({ error, ...(command ? { command } : {}), ...(hint ? { hint } : {}) });
  }
  return problems;
}

/**
 * The first line of a failed statement, at most 200 characters, for messages. A user mapping's options (a
 * remote password) are left out: the statement is shown in logs and summaries.
 */
export function statementHead(command: string): string {
  const line = command.split('\n')[0]!.trim();
  const safe = /\bUSER MAPPING\b/i.test(line) ? line.replace(/\bOPTIONS\s*\(.*$/i, 'OPTIONS (…)') : line;
  return safe.length > 200 ? `${safe.slice(0, 199)}…` : safe;
}

/** Session settings newer clients send first, by the major that introduced them. */
const SESSION_SETTINGS_SINCE: Record<string, number> = { transaction_timeout: 17 };

/**
 * `SET transaction_timeout = 0` from a newer pg_restore fails on an older server: an error that changes no data.
 * The restore of a dump made by a newer pg_dump (the nearest newer client, when the server's own was missing)
 * needs that newer pg_restore, which then says this to the older server once per connection.
 */
function isNewerSessionSetting(problem: RestoreProblem, targetMajor: number): boolean {
  const setting = /unrecognized configuration parameter "([^"]+)"/.exec(problem.error)?.[1];
  const since = setting === undefined ? undefined : SESSION_SETTINGS_SINCE[setting];
  return since !== undefined && targetMajor < since;
}

function hintFor(error: string): string | undefined {
  const extension =
    /extension "([^"]+)" is not available|could not open extension control file "[^"]*\/([^/"]+)\.control"/.exec(
      error,
    );
  if (extension) {
    const name = extension[1] ?? extension[2]!;
    const image =
      name === 'postgis'
        ? 'postgis/postgis:<major>'
        : name === 'vector'
          ? 'pgvector/pgvector:pg<major>'
          : undefined;
    return `The target server lacks the extension "${name}": restore into a server that has it installed${image ? ` (for example the ${image} image)` : ''}.`;
  }
  const role = /role "([^"]+)" does not exist/.exec(error);
  if (role) return `Create the role on the target first: CREATE ROLE "${role[1]!}";`;
  return undefined;
}
