/**
 * What a logical dump carries. pg_dump brings a database back through SQL, so a catalog value that no statement can
 * set is not in the dump, and every restore gets a value of its own. A drill that compared such a value would fail
 * on every restore while nothing was lost. Two such values are known, each a rule and not one string:
 * - options PostgreSQL keeps for itself: its documentation reserves option names that start with `pg_` for internal
 *   options "which cannot be set via DDL" (15.20's `pg_attver`, on every column of every relation). pg_dump does not
 *   write them (an older pg_dump that does is ignored by the server), so their values are the restoring server's;
 * - shell operators (no function behind them): pg_dump never dumps one. An operator that names it as commutator or
 *   negator creates it again, and that reference is compared on the operator that makes it.
 * Both inventories pass through `carriedByDump` before they are compared, so a manifest written before this rule
 * compares as a new one does; collectInventory applies it too, so new manifests record none of it.
 */
import {
  compareObjects,
  type Inventory,
  type InventoryObject,
  isDigest,
  type NotComparable,
} from './inventory.js';

const INTERNAL_OPTION = /^pg_/;

const INTERNAL_OPTION_REASON =
  'PostgreSQL keeps options whose names start with pg_ for itself: no SQL statement sets them, so a dump cannot ' +
  'carry them and each restore gets values of its own; the options a user sets are compared';

const SHELL_OPERATOR_REASON =
  'a shell operator has no function behind it and pg_dump never dumps one: an operator that names it as ' +
  'commutator or negator creates it again (that reference is compared there), any other is not restored';

/** The inventory without what a dump cannot carry, each kind of value left out listed once as not comparable. */
export function carriedByDump(inventory: Inventory): Inventory {
  const internalOptions = new Set<string>();
  const left: NotComparable[] = [];
  const objects: InventoryObject[] = [];
  for (const object of inventory.objects) {
    if (object.kind === 'operator' && object.attributes.shell === 'true') {
      left.push({ kind: 'shell operator', name: object.name, reason: SHELL_OPERATOR_REASON });
      continue;
    }
    objects.push(withoutInternalOptions(object, internalOptions));
  }
  for (const name of internalOptions) {
    left.push({ kind: 'internal option', name, reason: INTERNAL_OPTION_REASON });
  }
  if (left.length === 0) return inventory;
  const known = new Set(inventory.notComparable.map(notComparableKey));
  const notComparable = [
    ...inventory.notComparable,
    ...left.filter((entry) => !known.has(notComparableKey(entry))),
  ];
  return { ...inventory, objects, notComparable: notComparable.sort(compareObjects) };
}

/**
 * An object's `options` (reloptions, attoptions: `name=value` pairs joined by `, `) without the internal ones,
 * whose names are added to `found`. Digested options (a foreign server's) are the user's own and stay.
 */
function withoutInternalOptions(object: InventoryObject, found: Set<string>): InventoryObject {
  const options = object.attributes.options;
  if (options === undefined || isDigest(options)) return object;
  const pairs = options.split(', ');
  const kept = pairs.filter((pair) => {
    const name = pair.split('=', 1)[0]!;
    if (!INTERNAL_OPTION.test(name)) return true;
    found.add(name);
    return false;
  });
  if (kept.length === pairs.length) return object;
  // Rebuilt in place, so the attributes stay in key order.
  const attributes = Object.entries(object.attributes).flatMap(([key, value]): [string, string][] =>
    key !== 'options' ? [[key, value]] : kept.length ? [[key, kept.join(', ')]] : [],
  );
  return { ...object, attributes: Object.fromEntries(attributes) };
}

function notComparableKey(entry: NotComparable): string {
  return `${entry.kind}\u0000${entry.name}\u0000${entry.reason}`;
}
