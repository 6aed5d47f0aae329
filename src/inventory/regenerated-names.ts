/**
 * Names a restore makes anew. PostgreSQL copies a partitioned table's foreign key onto each of its partitions (and
 * onto the referencing side once per partition of a partitioned referenced table) by itself; pg_dump writes only the
 * parent's, and the restore names each copy as it makes it. That need not be the source's name: a partition that
 * had an equal foreign key of its own before it was attached keeps that one's name. So a constraint missing from the
 * restore and one extra on the same table, of the same type and definition, the restored one copied from a parent
 * (`inherited from`), are one constraint: its new name is a note, not a difference.
 */
import type { InventoryObject } from './inventory.js';

export interface Renamed {
  readonly expected: InventoryObject;
  readonly actual: InventoryObject;
}

export interface Pairing {
  readonly renamed: Renamed[];
  readonly missing: InventoryObject[];
  readonly extra: InventoryObject[];
}

/** Pairs each regenerated constraint name with the source's, one to one, in name order. */
export function pairRegeneratedNames(
  missing: readonly InventoryObject[],
  extra: readonly InventoryObject[],
): Pairing {
  const candidates = new Map<string, InventoryObject[]>();
  for (const object of extra) {
    const key = object.attributes['inherited from'] === undefined ? undefined : matchKey(object);
    if (key === undefined) continue;
    candidates.set(key, [...(candidates.get(key) ?? []), object]);
  }
  const renamed: Renamed[] = [];
  const paired = new Set<InventoryObject>();
  const stillMissing: InventoryObject[] = [];
  for (const object of missing) {
    const key = matchKey(object);
    const actual = key === undefined ? undefined : candidates.get(key)?.shift();
    if (actual) {
      renamed.push({ expected: object, actual });
      paired.add(actual);
    } else {
      stillMissing.push(object);
    }
  }
  return { renamed, missing: stillMissing, extra: extra.filter((object) => !paired.has(object)) };
}

/** Table, what follows the constraint's name (` -> referenced partition`), type and definition; constraints only. */
function matchKey(object: InventoryObject): string | undefined {
  if (object.kind !== 'constraint') return undefined;
  const parts = splitConstraintName(object.name);
  if (!parts) return undefined;
  const { type, definition } = object.attributes;
  return [parts.table, parts.rest, type ?? '', definition ?? ''].join('\u0000');
}

/** `schema.table.name[ rest]` as `inventory/names.ts` writes it: identifiers bare or double-quoted. */
export function splitConstraintName(
  name: string,
): { table: string; constraint: string; rest: string } | undefined {
  let at = 0;
  const idents: string[] = [];
  for (let n = 0; n < 3; n++) {
    if (n > 0) {
      if (name[at] !== '.') return undefined;
      at++;
    }
    const end = identEnd(name, at);
    if (end === undefined) return undefined;
    idents.push(name.slice(at, end));
    at = end;
  }
  return { table: `${idents[0]}.${idents[1]}`, constraint: idents[2]!, rest: name.slice(at) };
}

/** Where the identifier starting at `at` ends: a quoted one at its closing quote (`""` is a quote inside). */
function identEnd(name: string, at: number): number | undefined {
  if (name[at] === '"') {
    for (let i = at + 1; i < name.length; i++) {
      if (name[i] !== '"') continue;
      if (name[i + 1] === '"') i++;
      else return i + 1;
    }
    return undefined;
  }
  const bare = /^[a-z_][a-z0-9_$]*/.exec(name.slice(at));
  return bare ? at + bare[0].length : undefined;
}
