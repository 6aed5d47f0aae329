/** The schema proof: collect an inventory on the source and on the restore, and compare them. */
export { collectInventory } from './collect.js';
export {
  type AttributeDifference,
  compareInventories,
  describeDiff,
  describeNotes,
  type DiffNote,
  type InventoryDiff,
  isFaithful,
  type ObjectDifference,
  type Printers,
} from './compare.js';
export {
  type CollectOptions,
  counts,
  DATABASE_OWNER,
  type Inventory,
  INVENTORY_FORMAT,
  type InventoryObject,
  isDigest,
  type NotComparable,
} from './inventory.js';
export { qualifiedName } from './names.js';
export { applySequenceValues, type SequenceValue } from './sequence-values.js';
export { type ProofOptions, proveSchema, type SchemaProof } from './prove.js';
export { withoutOwnership } from './without-ownership.js';
