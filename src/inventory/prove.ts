import type pg from 'pg';
import { collectInventory } from './collect.js';
import { compareInventories, type InventoryDiff, type Printers } from './compare.js';
import { counts, type Inventory, INVENTORY_FORMAT } from './inventory.js';
import { withoutOwnership } from './without-ownership.js';

/** The drill's schema proof: the manifest's inventory against the restored database's, or why there was none. */
export type SchemaProof =
  | {
      readonly compared: true;
      readonly diff: InventoryDiff;
      /** Objects the backup recorded, per kind. */
      readonly counts: Record<string, number>;
      readonly objects: number;
    }
  | { readonly compared: false; readonly reason: string };

export interface ProofOptions {
  /** The inventory's digest key, from the backup's encrypted globals. */
  readonly digestKey: string | undefined;
  /** Whether owners, privileges and the database's settings were restored (`ownership: auto`). */
  readonly ownership: boolean;
  /** The backup's server and the target, which print definitions each in its own way. */
  readonly printers?: Printers;
}

/** Collects the restored database's inventory on `client` and compares it with `recorded` (the manifest's). */
export async function proveSchema(
  client: pg.Client,
  recorded: { readonly format: number } | undefined,
  options: ProofOptions,
): Promise<SchemaProof> {
  if (!recorded) {
    return { compared: false, reason: 'the backup was made before the schema inventory was recorded (0.3)' };
  }
  if (recorded.format !== INVENTORY_FORMAT) {
    return {
      compared: false,
      reason: `the backup's inventory has format ${recorded.format}, which this version does not read`,
    };
  }
  const expected = recorded as Inventory;
  const actual = await collectInventory(client, {
    sequenceValues: 'read',
    databaseOwner: expected.databaseOwner,
    ...(options.digestKey ? { digestKey: options.digestKey } : {}),
  });
  const diff = compareInventories(expected, actual, options.printers);
  return {
    compared: true,
    diff: options.ownership ? diff : withoutOwnership(diff),
    counts: counts(expected),
    objects: expected.objects.length,
  };
}
