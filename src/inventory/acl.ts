/**
 * Grants compared role by role, not as aclitem text: an ACL is exploded (aclexplode) and set against the default
 * for its owner (acldefault), so a never-granted object (NULL ACL) and one whose grants were reset to the default
 * compare equal, as pg_dump treats them. What is left is recorded per grantee: `grant:<role>` for privileges beyond
 * the default, `revoke:<role>` for default privileges taken away.
 */
import type { RoleNames } from './names.js';

/** `[grantee, grantor, privilege, grantable]`, grantee `PUBLIC` for everyone. */
export type AclEntry = [string, string, string, boolean];

export interface AclColumns {
  readonly granted: AclEntry[] | null;
  readonly revoked: AclEntry[] | null;
}

const ENTRY = `json_build_array(CASE x.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
  pg_get_userbyid(x.grantor)::text, x.privilege_type, x.is_grantable)`;

/** SQL for the `granted` and `revoked` columns: what `actual` (an aclitem[]) has beyond `standard`, and lacks. */
export function aclColumns(actual: string, standard: string): string {
  const has = `aclexplode(${actual})`;
  const base = `aclexplode(${standard})`;
  return `(SELECT json_agg(${ENTRY}) FROM (SELECT * FROM ${has} EXCEPT SELECT * FROM ${base}) x) AS granted,
    (SELECT json_agg(${ENTRY}) FROM (SELECT * FROM ${base} EXCEPT SELECT * FROM ${has}) x) AS revoked`;
}

/** The columns for an object's ACL column `acl` of acldefault type `type` (`r`, `s`, `f`, `n`…) and its owner. */
export function objectAcl(acl: string, type: string, owner: string): string {
  return aclColumns(`coalesce(${acl}, acldefault('${type}', ${owner}))`, `acldefault('${type}', ${owner})`);
}

/** `grant:<role>` and `revoke:<role>` attributes; a grantor other than the owner is named (`… by <role>`). */
export function aclAttributes(acl: AclColumns, owner: string, roles: RoleNames): Record<string, string> {
  return {
    ...entriesByGrantee('grant', acl.granted, owner, roles),
    ...entriesByGrantee('revoke', acl.revoked, owner, roles),
  };
}

function entriesByGrantee(
  prefix: string,
  entries: AclEntry[] | null,
  owner: string,
  roles: RoleNames,
): Record<string, string> {
  const byGrantee = new Map<string, Map<string, string[]>>();
  for (const [grantee, grantor, privilege, grantable] of entries ?? []) {
    const key = `${prefix}:${roles.name(grantee)}`;
    const byGrantor = byGrantee.get(key) ?? new Map<string, string[]>();
    const by = grantor === owner ? '' : ` by ${roles.name(grantor)}`;
    byGrantor.set(by, [...(byGrantor.get(by) ?? []), grantable ? `${privilege}*` : privilege]);
    byGrantee.set(key, byGrantor);
  }
  const attributes: Record<string, string> = {};
  for (const [key, byGrantor] of byGrantee) {
    const parts = [...byGrantor].map(
      ([by, privileges]) => `${[...new Set(privileges)].sort().join(',')}${by}`,
    );
    attributes[key] = parts.sort().join('; ');
  }
  return attributes;
}
