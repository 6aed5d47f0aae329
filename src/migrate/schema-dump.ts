import type { ConnectionTarget } from '../postgres/connection-url.js';
import { libpqInvocation } from '../postgres/libpq-env.js';
import { describeExit, runCapturing } from '../shared/child-process.js';

/**
 * The schema as `pg_dump --schema-only --no-owner --no-privileges` prints it, for a text diff. The connection
 * travels in the environment (the password in PGPASSWORD, never in argv). pg_dump's `\restrict` and `\unrestrict`
 * lines are left out: they carry a random key that would differ between any two dumps.
 */
export async function schemaDump(pgDumpPath: string, target: ConnectionTarget): Promise<string> {
  const { env, args } = libpqInvocation(target);
  const { stdout, exit } = await runCapturing(
    pgDumpPath,
    ['--schema-only', '--no-owner', '--no-privileges', ...args],
    env,
  );
  if (exit.code !== 0) throw new Error(describeExit('pg_dump', exit));
  return stdout.replace(/^\\(un)?restrict .*\n/gm, '');
}
