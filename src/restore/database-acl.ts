/**
 * A database's ACL (`pg_database.datacl`, aclitem texts such as `app_ro=cT/app_owner`) as the statements that
 * give a restored database the same privileges, as pg_dump's buildACLCommands would with `--create`: PUBLIC's
 * default privileges revoked, then each grantee's granted. The owner's own privileges come with ownership.
 */
import type pg from 'pg';

const DATABASE_PRIVILEGES: Readonly<Record<string, string>> = { C: 'CREATE', c: 'CONNECT', T: 'TEMPORARY' };

interface AclItem {
  /** Empty for PUBLIC. */
  readonly grantee: string;
  readonly privileges: { readonly name: string; readonly grantOption: boolean }[];
}

/** Parses `grantee=privs/grantor`; the grantee is empty for PUBLIC and may be double-quoted. */
function parseAclItem(item: string): AclItem {
  const match = /^((?:"(?:[^"]|"")*"|[^=])*)=([A-Za-z*]*)\//.exec(item);
  if (!match) throw new Error(`not an aclitem: ${item}`);
  const raw = match[1]!;
  const grantee = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
  const privileges: { name: string; grantOption: boolean }[] = [];
  for (const [, letter, star] of match[2]!.matchAll(/([A-Za-z])(\*?)/g)) {
    const name = DATABASE_PRIVILEGES[letter!];
    if (name) privileges.push({ name, grantOption: star === '*' });
  }
  return { grantee, privileges };
}

export function aclGrants(
  acl: readonly string[],
  owner: string,
  database: string,
  client: Pick<pg.Client, 'escapeIdentifier'>,
): string[] {
  const db = client.escapeIdentifier(database);
  const statements = [`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`];
  for (const item of acl.map(parseAclItem)) {
    if (item.grantee === owner) continue;
    const to = item.grantee === '' ? 'PUBLIC' : client.escapeIdentifier(item.grantee);
    const plain = item.privileges.filter((p) => !p.grantOption).map((p) => p.name);
    const withOption = item.privileges.filter((p) => p.grantOption).map((p) => p.name);
    if (plain.length) statements.push(`GRANT ${plain.join(', ')} ON DATABASE ${db} TO ${to}`);
    if (withOption.length)
      statements.push(`GRANT ${withOption.join(', ')} ON DATABASE ${db} TO ${to} WITH GRANT OPTION`);
  }
  return statements;
}
