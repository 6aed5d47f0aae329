/**
 * The backup's globals (shared/globals.ts): the cluster's roles from pg_dumpall, and the database's own
 * properties read in the backup's snapshot session. Neither is essential to the dump: what cannot be read is a
 * warning recorded in the manifest, never a failed backup (a managed provider may hide a catalog).
 */
import { join } from 'node:path';
import * as core from '@actions/core';
import type pg from 'pg';
import { libpqInvocation } from '../postgres/libpq-env.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { describeExit, runCapturing } from '../shared/child-process.js';
import { errorMessage } from '../shared/errors.js';
import { type DatabaseProperties, GLOBALS_FORMAT, type Globals } from '../shared/globals.js';

/**
 * Starts pg_dumpall for the roles and reads the database's properties with `readProperties` (on the snapshot
 * session, before the dump's row counts use it); resolves to a function that waits for pg_dumpall and returns
 * the globals, so the dump runs meanwhile.
 */
export async function beginGlobals(
  binDir: string,
  target: ConnectionTarget,
  readProperties: () => Promise<DatabaseProperties>,
): Promise<() => Promise<Globals>> {
  const warnings: string[] = [];
  const roles = dumpRoles(binDir, target).catch((error: unknown) => {
    warnings.push(`the roles could not be read: ${errorMessage(error)}`);
    return undefined;
  });
  const database = await readProperties().catch((error: unknown) => {
    warnings.push(
      `the database's settings, comment and privileges could not be read: ${errorMessage(error)}`,
    );
    return undefined;
  });
  return async () => {
    const rolesSql = await roles;
    for (const warning of warnings) core.warning(`The backup goes on without them: ${warning}.`);
    return {
      format: GLOBALS_FORMAT,
      ...(rolesSql === undefined ? {} : { rolesSql }),
      ...(database === undefined ? {} : { database }),
      warnings,
    };
  };
}

/**
 * `pg_dumpall --roles-only --no-role-passwords`: it reads pg_roles rather than pg_authid, which RDS, Cloud SQL,
 * Supabase and Neon do not let their users read. It connects to the backed-up database itself (`-l`), since a
 * managed server may refuse connections to `postgres`.
 */
async function dumpRoles(binDir: string, target: ConnectionTarget): Promise<string> {
  const invocation = libpqInvocation(target);
  const args = [
    '--roles-only',
    '--no-role-passwords',
    '--no-password',
    `--database=${target.database}`,
    ...invocation.args,
  ];
  const { stdout, exit } = await runCapturing(join(binDir, 'pg_dumpall'), args, invocation.env);
  if (exit.code !== 0) throw new Error(describeExit('pg_dumpall', exit));
  return stdout;
}

interface DatabaseRow {
  name: string;
  owner: string;
  acl: string[] | null;
  comment: string | null;
}

/** The database's properties that pg_dump leaves out without `--create`, read on `client` (any session). */
export async function readDatabaseProperties(client: pg.Client): Promise<DatabaseProperties> {
  const { rows } = await client.query<DatabaseRow>(
    `SELECT d.datname AS name, pg_catalog.pg_get_userbyid(d.datdba) AS owner, d.datacl::text[] AS acl,
            pg_catalog.shobj_description(d.oid, 'pg_database') AS comment
       FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
  );
  const database = rows[0]!;
  const settings = await client.query<{ role: string | null; setconfig: string[] }>(
    `SELECT r.rolname AS role, s.setconfig
       FROM pg_catalog.pg_db_role_setting s
       LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
      WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
      ORDER BY r.rolname NULLS FIRST`,
  );
  const own = settings.rows.find((row) => row.role === null);
  return {
    name: database.name,
    owner: database.owner,
    settings: own?.setconfig ?? [],
    roleSettings: settings.rows
      .filter((row): row is { role: string; setconfig: string[] } => row.role !== null)
      .map((row) => ({ role: row.role, settings: row.setconfig })),
    comment: database.comment,
    acl: database.acl,
  };
}
