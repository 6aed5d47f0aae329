/**
 * The schema inventory: what a database holds besides its rows (objects, owners, grants, settings, comments), so
 * that a drill can prove a restore brought back the schema and not only the row counts. It is written into the
 * backup's manifest, which is plaintext: anything that could hold a secret (bodies, definitions, defaults,
 * expressions, setting values, comments) is recorded only as a digest (`digest.ts`).
 */

export const INVENTORY_FORMAT = 1;

/**
 * Stands for the database's owner wherever a role is named (owners, grantors, grantees, policies, settings): a
 * restored database belongs to whoever the drill connects as, so the source's owner and the target's must compare
 * as one role.
 */
export const DATABASE_OWNER = '@dbowner';

export interface InventoryObject {
  /** e.g. `table`, `column`, `function`, `grant`… (`counts` lists them). */
  readonly kind: string;
  /** Stable and qualified: `schema.table`, `schema.table.column`, `schema.fn(argtype, …)`, `source -> target`. */
  readonly name: string;
  /** Sorted by key; digests start with `#` (`isDigest`). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** What a logical dump cannot carry by design, or what this inventory could not read: listed, never passed. */
export interface NotComparable {
  readonly kind: string;
  readonly name: string;
  readonly reason: string;
}

export interface Inventory {
  readonly format: typeof INVENTORY_FORMAT;
  /** How the digests were made (`sha256`, or `hmac-sha256:<key id>`): two inventories compare only alike. */
  readonly digest: string;
  /** server_version_num's major: definitions are printed by the server, so inventories of one major compare. */
  readonly serverMajor: number;
  /** The role recorded as `@dbowner`: a drill passes it to `collectInventory` on the target. */
  readonly databaseOwner: string;
  /** Sorted by kind, then name. */
  readonly objects: InventoryObject[];
  readonly notComparable: NotComparable[];
}

export interface CollectOptions {
  /**
   * `read` (the default) reads each sequence's `last_value` and `is_called` from the sequence itself, as a drill
   * does on the restored database. `omit` leaves them out and lists each as not comparable until
   * `applySequenceValues` supplies them: at backup time the values are those the dump holds (its table of
   * contents), since sequences are not transactional and the snapshot session would read later ones.
   */
  readonly sequenceValues?: 'read' | 'omit';
  /**
   * The role to record as `@dbowner`; by default the current database's owner. On a drill target, pass the source
   * inventory's `databaseOwner`: when a role of that name exists there (the roles were restored, and with them the
   * owners), it is that role; otherwise the target database's owner (whoever the drill connects as) stands in.
   */
  readonly databaseOwner?: string;
  /** A secret that keys the digests (HMAC-SHA-256), so short values cannot be guessed from the manifest. */
  readonly digestKey?: string;
}

const DIGEST = /^#[0-9a-f]{16}$/;

/** Whether an attribute value is a digest, which a diff reports as "definition differs", never as values. */
export function isDigest(value: string | undefined): boolean {
  return value !== undefined && DIGEST.test(value);
}

/** How many objects of each kind, for the job summary; kinds sorted. */
export function counts(inventory: Inventory): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const { kind } of inventory.objects) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => compareText(a, b)));
}

/** Code-unit order: the same on every machine and locale, so the manifest's order is stable. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareObjects(a: { kind: string; name: string }, b: { kind: string; name: string }): number {
  return compareText(a.kind, b.kind) || compareText(a.name, b.name);
}
