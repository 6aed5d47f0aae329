/**
 * The database's own properties, which a dump without --create does not carry and the drill re-applies: its
 * settings (`ALTER DATABASE … SET`), role-in-database settings, comment and grants; and default privileges and
 * large objects. Setting values are digests: Supabase keeps its JWT secret in one.
 */
import { aclAttributes, aclColumns, type AclColumns, objectAcl } from './acl.js';
import type { CollectContext } from './context.js';
import { digestOf } from './context.js';
import { qualifiedName } from './names.js';

interface DatabaseRow extends AclColumns {
  owner: string;
  comment: string | null;
  settings: string[] | null;
  encoding: string;
  row: Record<string, unknown>;
}

/** The database is named `current`: a drill restores into a database of another name. */
export const DATABASE_NAME = 'current';

export async function collectDatabase(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<DatabaseRow>(
    `SELECT pg_get_userbyid(d.datdba)::text AS owner, shobj_description(d.oid, 'pg_database') AS comment,
            pg_encoding_to_char(d.encoding) AS encoding, to_jsonb(d) - 'datacl' AS row,
            (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings,
            ${objectAcl('d.datacl', 'd', 'd.datdba')}
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  const row = rows[0]!;
  // The database's owner is whoever created it (on a drill target, whoever the drill connects as): its own
  // entries in the database's ACL are the owner's, whatever role stands for @dbowner elsewhere.
  const roles = context.roles.with(row.owner);
  context.sink.add('database', DATABASE_NAME, {
    comment: digestOf(context, row.comment),
    ...settingAttributes(context, row.settings),
    ...aclAttributes(row, row.owner, roles),
  });
  const locale = [row.row.datcollate, row.row.datctype, row.row.datlocale ?? row.row.daticulocale]
    .filter((value) => typeof value === 'string' && value !== '')
    .join(', ');
  context.sink.notComparable(
    'database properties',
    DATABASE_NAME,
    `the drill creates the database: its owner is whoever the drill connects as (compared as @dbowner), and its ` +
      `encoding and locale are the target server's (the source has ${row.encoding}, ${locale})`,
  );
}

/** `set:<name>` attributes, each a digest of the value. */
function settingAttributes(context: CollectContext, settings: string[] | null): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const setting of settings ?? []) {
    const at = setting.indexOf('=');
    attributes[`set:${setting.slice(0, at)}`] = context.digester.digest(setting.slice(at + 1));
  }
  return attributes;
}

export async function collectRoleSettings(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{ role: string; settings: string[] }>(
    `SELECT pg_get_userbyid(s.setrole)::text AS role, s.setconfig AS settings FROM pg_db_role_setting s
      WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole <> 0`,
  );
  for (const row of rows) {
    context.sink.add('role setting', context.roles.name(row.role), settingAttributes(context, row.settings));
  }
}

const DEFAULT_ACL_TYPES: Readonly<Record<string, string>> = {
  r: 'tables',
  S: 'sequences',
  f: 'functions',
  T: 'types',
  n: 'schemas',
  L: 'large objects',
};

/**
 * A default ACL for all schemas replaces the built-in default (acldefault); one for a schema adds to nothing (a
 * column's default, the empty ACL: '{}' has no dimension, which aclexplode refuses). Each is
 * recorded as what it changes.
 */
export async function collectDefaultPrivileges(context: CollectContext): Promise<void> {
  const standard = `CASE WHEN d.defaclnamespace = 0
      THEN acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole)
      ELSE acldefault('c', d.defaclrole) END`;
  const { rows } = await context.client.query<
    AclColumns & { role: string; schema: string | null; type: string }
  >(
    `SELECT pg_get_userbyid(d.defaclrole)::text AS role, n.nspname AS schema, d.defaclobjtype::text AS type,
            ${aclColumns('d.defaclacl', standard)}
       FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace`,
  );
  for (const row of rows) {
    const where = row.schema === null ? '' : ` in ${qualifiedName(row.schema)}`;
    const name = `${context.roles.name(row.role)} on ${DEFAULT_ACL_TYPES[row.type] ?? row.type}${where}`;
    context.sink.add('default privileges', name, aclAttributes(row, row.role, context.roles));
  }
}

interface LargeObjectGroup extends AclColumns {
  owner: string;
  count: string;
  comments: string | null;
}

/** Grouped by owner and ACL: a database can hold millions of large objects, and the manifest only a summary. */
export async function collectLargeObjects(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<LargeObjectGroup>(
    `SELECT pg_get_userbyid(g.lomowner)::text AS owner, g.count::text AS count, g.comments,
            ${objectAcl('g.acl::aclitem[]', 'L', 'g.lomowner')}
       FROM (SELECT m.lomowner, m.lomacl::text AS acl, count(*) AS count,
                    string_agg(m.oid || ':' || d.description, E'\\n' ORDER BY m.oid) AS comments
               FROM pg_largeobject_metadata m
               LEFT JOIN pg_description d ON d.objoid = m.oid AND d.classoid = 'pg_largeobject'::regclass
              GROUP BY m.lomowner, m.lomacl::text) g`,
  );
  const byOwner = new Map<string, { count: number; grants: Map<string, string[]>; comments: string[] }>();
  for (const row of rows) {
    const owner = context.roles.name(row.owner);
    const entry = byOwner.get(owner) ?? { count: 0, grants: new Map<string, string[]>(), comments: [] };
    entry.count += Number(row.count);
    for (const [key, value] of Object.entries(aclAttributes(row, row.owner, context.roles))) {
      entry.grants.set(key, [...(entry.grants.get(key) ?? []), `${value} (${row.count})`]);
    }
    if (row.comments) entry.comments.push(row.comments);
    byOwner.set(owner, entry);
  }
  for (const [owner, { count, grants, comments }] of byOwner) {
    context.sink.add('large objects', owner, {
      count: String(count),
      comments: digestOf(context, comments.length ? comments.sort().join('\n') : undefined),
      ...Object.fromEntries([...grants].map(([key, values]) => [key, values.sort().join(' + ')])),
    });
  }
}
