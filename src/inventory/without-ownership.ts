/**
 * A restore with `ownership: none` (pg_restore --no-owner --no-privileges, no database settings) loses owners,
 * privileges and the database's own properties on purpose. Its diff leaves them out of the verdict and lists them
 * as not comparable, with the count, so the user sees what was not checked and why.
 */
import type { InventoryDiff, ObjectDifference } from './compare.js';
import { compareObjects, type InventoryObject, type NotComparable } from './inventory.js';

/** Kinds that are all ownership: privileges, settings and owners' own entries. */
const OWNERSHIP_KINDS = new Set([
  'database',
  'default privileges',
  'role setting',
  'role',
  'large objects',
  'extension member grants',
]);

const OWNERSHIP_ATTRIBUTE = /^(owner$|grant:|revoke:)/;

const REASON = 'ownership: none restores no owners, privileges or database settings';

export function withoutOwnership(diff: InventoryDiff): InventoryDiff {
  let skipped = 0;
  const kept = (objects: InventoryObject[]) =>
    objects.filter((object) => {
      const ownership = OWNERSHIP_KINDS.has(object.kind);
      if (ownership) skipped++;
      return !ownership;
    });
  const different: ObjectDifference[] = [];
  for (const object of diff.different) {
    if (OWNERSHIP_KINDS.has(object.kind)) {
      skipped++;
      continue;
    }
    const attributes = object.attributes.filter((a) => !OWNERSHIP_ATTRIBUTE.test(a.attribute));
    if (attributes.length < object.attributes.length) skipped++;
    if (attributes.length) different.push({ ...object, attributes });
  }
  const notComparable: NotComparable[] = skipped
    ? [...diff.notComparable, { kind: 'owners and privileges', name: `${skipped} objects`, reason: REASON }]
    : [...diff.notComparable];
  return {
    ...diff,
    missing: kept(diff.missing),
    extra: kept(diff.extra),
    different,
    notComparable: notComparable.sort(compareObjects),
  };
}
