/** How objects and roles are named in an inventory, the same way on the source and the target. */
import { quoteIdent } from '../shared/sql.js';
import { DATABASE_OWNER } from './inventory.js';

/** An identifier as written in SQL: bare when it is lower-case and plain, double-quoted otherwise. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

/**
 * `schema.name`, `schema.table.column`…: the key of an object in an inventory. The dump's table-of-contents reader
 * builds sequence keys with it (`applySequenceValues`).
 */
export function qualifiedName(...parts: string[]): string {
  return parts.map(ident).join('.');
}

/** A collation or type's `[schema, name]`, with pg_catalog left out as SQL leaves it out. */
export function catalogName(pair: readonly [string, string] | null): string | undefined {
  if (!pair) return undefined;
  return pair[0] === 'pg_catalog' ? ident(pair[1]) : qualifiedName(pair[0], pair[1]);
}

/** Role names as an inventory records them: the database's owner (and whoever stands in for it) as `@dbowner`. */
export class RoleNames {
  constructor(private readonly owners: ReadonlySet<string>) {}

  name(role: string): string {
    return this.owners.has(role) ? DATABASE_OWNER : role;
  }

  /** A copy that also maps `more` to `@dbowner`: the database's own ACL, granted by its actual owner. */
  with(more: string): RoleNames {
    return new RoleNames(new Set([...this.owners, more]));
  }
}
