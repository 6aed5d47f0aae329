/**
 * What every collector shares: the connection, the server's major (catalogs differ from 14 to 18), role naming,
 * digests, and the sink that builds the sorted, de-duplicated inventory. Also the SQL every query repeats: which
 * schemas are the user's and which objects belong to an extension (those come back with CREATE EXTENSION, so they
 * are not the dump's to restore).
 */
import type pg from 'pg';
import { type AclColumns, aclAttributes, objectAcl } from './acl.js';
import type { Digester } from './digest.js';
import {
  type CollectOptions,
  compareObjects,
  compareText,
  type InventoryObject,
  type NotComparable,
} from './inventory.js';
import type { RoleNames } from './names.js';

export interface CollectContext {
  readonly client: pg.Client;
  /** e.g. 14, 18. */
  readonly major: number;
  readonly roles: RoleNames;
  readonly digester: Digester;
  readonly options: CollectOptions;
  readonly sink: Sink;
}

/** An attribute left out when undefined or null, so an inventory records only what is set. */
export type Attributes = Record<string, string | undefined | null>;

export class Sink {
  private readonly objects = new Map<string, InventoryObject>();
  private readonly skipped = new Map<string, NotComparable>();

  add(kind: string, name: string, attributes: Attributes): void {
    const kept = Object.entries(attributes)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .sort(([a], [b]) => compareText(a, b));
    // Two objects of one kind and name (a catalog quirk) must not hide each other.
    let unique = name;
    for (let n = 2; this.objects.has(`${kind}\u0000${unique}`); n++) unique = `${name} (${n})`;
    this.objects.set(`${kind}\u0000${unique}`, { kind, name: unique, attributes: Object.fromEntries(kept) });
  }

  notComparable(kind: string, name: string, reason: string): void {
    this.skipped.set(`${kind}\u0000${name}\u0000${reason}`, { kind, name, reason });
  }

  objectList(): InventoryObject[] {
    return [...this.objects.values()].sort(compareObjects);
  }

  notComparableList(): NotComparable[] {
    return [...this.skipped.values()].sort(compareObjects);
  }
}

/** Rows of the shape `ownedColumns` selects. */
export interface OwnedRow extends AclColumns {
  readonly owner: string;
  readonly comment: string | null;
}

/** SQL for `owner`, `comment` and, with an ACL, `granted` and `revoked` (acl.ts). */
export function ownedColumns(
  owner: string,
  catalog: string,
  oid: string,
  acl?: { column: string; type: string },
): string {
  const grants = acl
    ? objectAcl(acl.column, acl.type, owner)
    : 'NULL::json AS granted, NULL::json AS revoked';
  return `pg_get_userbyid(${owner})::text AS owner, obj_description(${oid}, '${catalog}') AS comment, ${grants}`;
}

/** The owner, comment and grants of an owned object, as attributes. */
export function ownedAttributes(context: CollectContext, row: OwnedRow): Attributes {
  return {
    owner: context.roles.name(row.owner),
    comment: digestOf(context, row.comment),
    ...aclAttributes(row, row.owner, context.roles),
  };
}

export function digestOf(context: CollectContext, text: string | null | undefined): string | undefined {
  return text === null || text === undefined ? undefined : context.digester.digest(text);
}

export function flag(value: boolean | null | undefined): string | undefined {
  return value ? 'true' : undefined;
}

/** The user's schemas: not pg_catalog, information_schema, pg_toast or pg_temp_* (all of pg_* is reserved). */
export function userSchema(alias: string): string {
  return `${alias}.nspname <> 'information_schema' AND ${alias}.nspname NOT LIKE 'pg\\_%'`;
}

/** Not a member of an extension (pg_depend deptype 'e'). */
export function notInExtension(catalog: string, oid: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_depend member
    WHERE member.classid = '${catalog}'::regclass AND member.objid = ${oid} AND member.deptype = 'e')`;
}

/**
 * Not made by the server along with another object (deptype 'i'): a range type's constructors and its multirange
 * cast come back with CREATE TYPE, not from the dump. Only for functions and casts: an identity sequence and a
 * constraint's index are internal too, yet the dump names them.
 */
export function notGenerated(catalog: string, oid: string): string {
  return `${notInExtension(catalog, oid)} AND NOT EXISTS (SELECT 1 FROM pg_depend made
    WHERE made.classid = '${catalog}'::regclass AND made.objid = ${oid} AND made.deptype = 'i')`;
}
