/**
 * Reads what `pg_dumpall --roles-only` printed: the roles (`CREATE ROLE name;`) and their memberships
 * (`GRANT role TO member … ;`). Names are quoted as pg_dump's fmtId quotes them: only when they need it. A role's
 * name is data from the source server and may hold anything, newlines and semicolons included, as may a comment's
 * text: the SQL is split into statements first, quotes and comments respected, and each statement is matched
 * whole, so nothing inside a name or a string can pass for a statement of its own.
 */

/** A name as pg_dumpall writes it: bare lower-case, or double-quoted with `""` for a quote. */
const NAME = String.raw`(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
const CREATE_ROLE = new RegExp(String.raw`^CREATE ROLE (${NAME})$`);
const GRANT_ROLE = new RegExp(String.raw`^GRANT (${NAME}) TO (${NAME})(?:\s[^;]*)?$`);

/**
 * Predefined roles that reach the server's own files and programs. The source may grant them; on a drill's
 * server, a role holding them could read the runner's files or run its programs, so they are never granted.
 */
export const SERVER_ACCESS_ROLES: ReadonlySet<string> = new Set([
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
]);

export interface DumpedRoles {
  readonly roles: string[];
  readonly memberships: { readonly role: string; readonly member: string }[];
}

export function parseRoles(sql: string): DumpedRoles {
  const roles: string[] = [];
  const memberships: { role: string; member: string }[] = [];
  for (const statement of statements(sql)) {
    const created = CREATE_ROLE.exec(statement);
    if (created) roles.push(unquote(created[1]!));
    const granted = GRANT_ROLE.exec(statement);
    if (granted) memberships.push({ role: unquote(granted[1]!), member: unquote(granted[2]!) });
  }
  return { roles, memberships };
}

/** The statements of `sql`, trimmed, without `--` comments; `;` ends one only outside quotes. */
export function statements(sql: string): string[] {
  const found: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (char === '"' || char === "'") {
      const end = closingQuote(sql, i, char);
      current += sql.slice(i, end + 1);
      i = end;
    } else if (char === '-' && sql[i + 1] === '-') {
      const lineEnd = sql.indexOf('\n', i);
      i = lineEnd === -1 ? sql.length : lineEnd - 1;
    } else if (char === ';') {
      found.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) found.push(current.trim());
  return found.filter(Boolean);
}

/** Where the quoted token opened at `start` ends (a doubled quote is one inside it); the text's end if never. */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) i++;
    else return i;
  }
  return sql.length - 1;
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}
