/**
 * `ownership: auto`: what a restore with owners and privileges needs around pg_restore. Before it, the backup's
 * roles the target lacks are created (NOLOGIN, no password, no other attribute; a role that exists is never
 * altered). After it, the database's own settings, comment, privileges and owner, which pg_dump carries only
 * with `--create`, are applied to the restored database, and its roles' settings there to roles that cannot log
 * in. Each statement that fails is reported, not fatal: the drill's schema comparison names what is then missing.
 */
import type pg from 'pg';
import { errorMessage } from '../shared/errors.js';
import type { DatabaseProperties } from '../shared/globals.js';
import { aclGrants } from './database-acl.js';
import { parseRoles, SERVER_ACCESS_ROLES } from './roles-sql.js';

export interface Applied {
  /** What was done, for the log and the summary: `role app_rw (NOLOGIN)`, `search_path`… */
  readonly done: string[];
  /** Statements that failed, with the server's error. */
  readonly failed: string[];
}

/** Creates the roles of `rolesSql` that the target lacks, and their memberships. */
export async function createMissingRoles(client: pg.Client, rolesSql: string): Promise<Applied> {
  const { roles, memberships } = parseRoles(rolesSql);
  const existing = new Set(
    (await client.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles')).rows.map(
      (row) => row.rolname,
    ),
  );
  const applied: Applied = { done: [], failed: [] };
  const created = new Set<string>();
  for (const role of roles.filter((name) => !existing.has(name))) {
    if (await run(client, `CREATE ROLE ${client.escapeIdentifier(role)} NOLOGIN`, applied)) {
      created.add(role);
      applied.done.push(`role ${role} (NOLOGIN)`);
    }
  }
  // Only the new roles get memberships: a role that was there keeps exactly the ones it had.
  for (const { role, member } of memberships) {
    if (!created.has(member) || !(existing.has(role) || created.has(role))) continue;
    if (SERVER_ACCESS_ROLES.has(role)) {
      applied.failed.push(
        `membership of ${member} in ${role}: not granted, it reaches the server's files or programs`,
      );
      continue;
    }
    const statement = `GRANT ${client.escapeIdentifier(role)} TO ${client.escapeIdentifier(member)}`;
    if (await run(client, statement, applied)) applied.done.push(`membership of ${member} in ${role}`);
  }
  return applied;
}

/**
 * Applies the source database's owner, settings, comment and privileges to `database`, and the settings its
 * roles have in it to roles that cannot log in. PostgreSQL applies a role's settings only when a session logs in
 * as it (not on SET ROLE), so on a NOLOGIN role (those a drill creates) they are inert; on a role that can log in
 * (the drill's own superuser, the target's users) the backup's settings (`session_preload_libraries`,
 * `search_path`, …) would take effect in their sessions, so such a role is never altered: reported as not applied.
 */
export async function applyDatabaseProperties(
  client: pg.Client,
  database: string,
  source: DatabaseProperties,
): Promise<Applied> {
  const applied: Applied = { done: [], failed: [] };
  const db = client.escapeIdentifier(database);
  const { rows } = await client.query<{ rolname: string; logs_in: boolean }>(
    'SELECT rolname, rolcanlogin OR rolsuper AS logs_in FROM pg_catalog.pg_roles',
  );
  const roles = new Set(rows.map((row) => row.rolname));
  const logsIn = new Set(rows.filter((row) => row.logs_in).map((row) => row.rolname));
  if (roles.has(source.owner)) {
    if (await run(client, `ALTER DATABASE ${db} OWNER TO ${client.escapeIdentifier(source.owner)}`, applied))
      applied.done.push(`owner ${source.owner}`);
  }
  for (const setting of source.settings) {
    const statement = `ALTER DATABASE ${db} SET ${setClause(client, setting)}`;
    const shown = `ALTER DATABASE ${db} SET ${settingName(setting)} TO …`;
    if (await run(client, statement, applied, shown)) applied.done.push(`setting ${settingName(setting)}`);
  }
  for (const { role, settings } of source.roleSettings.filter((entry) => roles.has(entry.role))) {
    if (logsIn.has(role)) {
      const names = settings.map(settingName).join(', ');
      applied.failed.push(
        `settings ${names} of role ${role}: not applied, the role can log in on the target`,
      );
      continue;
    }
    for (const setting of settings) {
      const prefix = `ALTER ROLE ${client.escapeIdentifier(role)} IN DATABASE ${db} SET`;
      const statement = `${prefix} ${setClause(client, setting)}`;
      if (await run(client, statement, applied, `${prefix} ${settingName(setting)} TO …`))
        applied.done.push(`setting ${settingName(setting)} of ${role}`);
    }
  }
  if (source.comment !== null) {
    const statement = `COMMENT ON DATABASE ${db} IS ${client.escapeLiteral(source.comment)}`;
    if (await run(client, statement, applied, `COMMENT ON DATABASE ${db} IS …`)) applied.done.push('comment');
  }
  if (source.acl !== null) {
    const statements = aclGrants(source.acl, source.owner, database, client);
    let all = true;
    for (const statement of statements) all = (await run(client, statement, applied)) && all;
    if (all) applied.done.push('privileges');
  }
  return applied;
}

/** GUCs whose value is a list of names, each quoted on its own (pg_dump's GUC_LIST_QUOTE variables). */
const LIST_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'local_preload_libraries',
  'session_preload_libraries',
  'shared_preload_libraries',
  'unix_socket_directories',
]);

function settingName(item: string): string {
  return item.slice(0, Math.max(0, item.indexOf('=')));
}

/** `name=value` from setconfig as `name TO 'value'`, a list setting element by element, as pg_dump writes it. */
function setClause(client: Pick<pg.Client, 'escapeLiteral' | 'escapeIdentifier'>, item: string): string {
  const name = settingName(item);
  const value = item.slice(name.length + 1);
  const ident = /^[a-z_][a-z0-9_.]*$/.test(name) ? name : client.escapeIdentifier(name);
  if (!LIST_SETTINGS.has(name.toLowerCase())) return `${ident} TO ${client.escapeLiteral(value)}`;
  const elements = splitList(value);
  return `${ident} TO ${elements.length ? elements.map((e) => client.escapeLiteral(e)).join(', ') : "''"}`;
}

/** Splits a list setting's value at commas, unquoting double-quoted elements (PostgreSQL's SplitGUCList). */
function splitList(value: string): string[] {
  const elements: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = wasQuoted = true;
    } else if (ch === ',') {
      elements.push(wasQuoted ? current : current.trim());
      current = '';
      wasQuoted = false;
    } else if (!wasQuoted) {
      current += ch;
    }
  }
  if (current.trim() || wasQuoted || elements.length) elements.push(wasQuoted ? current : current.trim());
  return elements;
}

/** Runs one statement; a failure is recorded as `shown` says it (values left out: a setting can be a secret). */
async function run(
  client: pg.Client,
  statement: string,
  applied: Applied,
  shown = statement,
): Promise<boolean> {
  try {
    await client.query(statement);
    return true;
  } catch (error) {
    applied.failed.push(`${shown}: ${errorMessage(error)}`);
    return false;
  }
}
