/**
 * Reads what `pg_dumpall --roles-only` printed: the roles (`CREATE ROLE name;`) and their memberships
 * (`GRANT role TO member … ;`). Names are quoted as pg_dump's fmtId quotes them: only when they need it.
 */

/** A name as pg_dumpall writes it: bare lower-case, or double-quoted with `""` for a quote. */
const NAME = String.raw`(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
const CREATE_ROLE = new RegExp(String.raw`^CREATE ROLE (${NAME});$`, 'gm');
const GRANT_ROLE = new RegExp(String.raw`^GRANT (${NAME}) TO (${NAME})\b[^;\n]*;$`, 'gm');

export interface DumpedRoles {
  readonly roles: string[];
  readonly memberships: { readonly role: string; readonly member: string }[];
}

export function parseRoles(sql: string): DumpedRoles {
  const roles = [...sql.matchAll(CREATE_ROLE)].map((match) => unquote(match[1]!));
  const memberships = [...sql.matchAll(GRANT_ROLE)].map((match) => ({
    role: unquote(match[1]!),
    member: unquote(match[2]!),
  }));
  return { roles, memberships };
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}
