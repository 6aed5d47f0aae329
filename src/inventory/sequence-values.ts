/**
 * The backup side of sequence values. The dump's table of contents holds each sequence's SETVAL, taken by pg_dump
 * itself; the backup passes those values here, keyed by `qualifiedName(schema, sequence)`, and they meet the
 * values a drill reads from the restored sequences (`sequenceValues: 'read'`).
 */
import { compareObjects, compareText, type Inventory } from './inventory.js';
import { SEQUENCE_VALUE_OMITTED } from './collect-sequences.js';

export interface SequenceValue {
  /** last_value, as text: a bigint does not fit a number. */
  readonly value: string;
  readonly isCalled: boolean;
}

/**
 * A copy of `inventory` with `value` and `called` set on the sequences `values` has; the others stay listed as
 * not comparable (the dump had no value for them, or they were not asked for).
 */
export function applySequenceValues(
  inventory: Inventory,
  values: ReadonlyMap<string, SequenceValue>,
): Inventory {
  const objects = inventory.objects.map((object) => {
    const found = object.kind === 'sequence' ? values.get(object.name) : undefined;
    if (!found) return object;
    const attributes = { ...object.attributes, value: found.value, called: String(found.isCalled) };
    return {
      ...object,
      attributes: Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => compareText(a, b))),
    };
  });
  const filled = new Set(
    objects.filter((o) => o.kind === 'sequence' && values.has(o.name)).map((o) => o.name),
  );
  const notComparable = inventory.notComparable
    .filter((entry) => !(entry.kind === 'sequence value' && filled.has(entry.name)))
    .concat(
      objects
        .filter((o) => o.kind === 'sequence' && !filled.has(o.name) && o.attributes.value === undefined)
        .filter((o) => !inventory.notComparable.some((e) => e.kind === 'sequence value' && e.name === o.name))
        .map((o) => ({ kind: 'sequence value', name: o.name, reason: SEQUENCE_VALUE_OMITTED })),
    )
    .sort(compareObjects);
  return { ...inventory, objects, notComparable };
}
