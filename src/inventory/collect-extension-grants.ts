/**
 * Grants on objects that belong to an extension. The objects come back with CREATE EXTENSION, but what was granted
 * or revoked on them since (pg_init_privs holds the extension's own) is the dump's to restore, and is a common
 * change (`GRANT EXECUTE ON FUNCTION` an extension's function to an application role). Only changed ones are listed.
 */
import { aclAttributes, aclColumns, type AclColumns } from './acl.js';
import type { CollectContext } from './context.js';
import { qualifiedName } from './names.js';

function member(catalog: string, oid: string): string {
  return `EXISTS (SELECT 1 FROM pg_depend member
    WHERE member.classid = '${catalog}'::regclass AND member.objid = ${oid} AND member.deptype = 'e')`;
}

/** The ACL against its initial one (or the default, when the extension set none). */
function changed(acl: string, type: string, owner: string, catalog: string, oid: string): string {
  const initial = `(SELECT i.initprivs FROM pg_init_privs i
      WHERE i.objoid = ${oid} AND i.classoid = '${catalog}'::regclass AND i.objsubid = 0)`;
  const standard = `acldefault(${type}, ${owner})`;
  return aclColumns(`coalesce(${acl}, ${standard})`, `coalesce(${initial}, ${standard})`);
}

const RELATION_TYPE = "(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::\"char\"";

export async function collectExtensionGrants(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    AclColumns & { kind: string; schema: string; name: string; args: string | null; owner: string }
  >(
    `SELECT * FROM (
       SELECT 'relation' AS kind, n.nspname AS schema, c.relname AS name, NULL AS args,
              pg_get_userbyid(c.relowner)::text AS owner,
              ${changed('c.relacl', RELATION_TYPE, 'c.relowner', 'pg_class', 'c.oid')}
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${member('pg_class', 'c.oid')}
       UNION ALL
       SELECT 'routine', n.nspname, p.proname,
              array_to_string(ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY
                a(t, i) ORDER BY i), ', '),
              pg_get_userbyid(p.proowner)::text, ${changed('p.proacl', "'f'", 'p.proowner', 'pg_proc', 'p.oid')}
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${member('pg_proc', 'p.oid')}
     ) g WHERE g.granted IS NOT NULL OR g.revoked IS NOT NULL`,
  );
  for (const row of rows) {
    const name = qualifiedName(row.schema, row.name) + (row.args === null ? '' : `(${row.args})`);
    context.sink.add(
      'extension member grants',
      `${row.kind} ${name}`,
      aclAttributes(row, row.owner, context.roles),
    );
  }
}
