/**
 * The drill's verdict on the schema: every object the source had and the restore lacks (missing), has in excess
 * (extra) or has otherwise (different), attribute by attribute. A digest that differs is reported as "definition
 * differs", never with its value. What cannot be compared by design is carried over with its reason; what a dump
 * cannot carry (carried-by-dump.ts) is left out of both sides first, and names a restore makes anew
 * (regenerated-names.ts) are notes.
 */
import { carriedByDump } from './carried-by-dump.js';
import {
  compareObjects,
  compareText,
  type Inventory,
  type InventoryObject,
  isDigest,
  type NotComparable,
} from './inventory.js';
import { pairRegeneratedNames } from './regenerated-names.js';

export interface AttributeDifference {
  readonly attribute: string;
  /** Absent when the expected object has no such attribute, or when it is a digest. */
  readonly expected?: string;
  readonly actual?: string;
  /** e.g. `definition differs`, `expected "app_rw", found "@dbowner"`, `missing`. */
  readonly summary: string;
}

export interface ObjectDifference {
  readonly kind: string;
  readonly name: string;
  readonly attributes: AttributeDifference[];
}

/** Something the restore does otherwise without losing anything, such as a constraint it named anew. */
export interface DiffNote {
  readonly kind: string;
  /** The source's name. */
  readonly name: string;
  readonly note: string;
}

export interface InventoryDiff {
  readonly missing: InventoryObject[];
  readonly extra: InventoryObject[];
  readonly different: ObjectDifference[];
  readonly notComparable: NotComparable[];
  readonly notes: DiffNote[];
}

/** Whether the restore is faithful: nothing missing, extra or different (not-comparable entries do not count). */
export function isFaithful(diff: InventoryDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.different.length === 0;
}

/**
 * The servers that printed each side's definitions, by `server_version_num`. Point releases change how a server
 * prints some definitions (15.20 prints `UPDATE t AS a` in a rule where 15.18 printed `UPDATE t a`), so a printed
 * definition that differs between two releases is a note, naming both; between servers of one release it is a
 * difference. Unknown (an inventory compared on its own): every difference counts.
 */
export interface Printers {
  readonly expected: { readonly versionNum: number; readonly version: string };
  readonly actual: { readonly versionNum: number; readonly version: string };
}

/** Attributes whose text the server prints from its catalogs (pg_get_viewdef, pg_get_expr, …), not stored verbatim. */
const PRINTED =
  /^(definition|default|partition bound|partition key|using|with check|constraint (?!comment ))/;

export function compareInventories(
  recorded: Inventory,
  restored: Inventory,
  printers?: Printers,
): InventoryDiff {
  const [expected, actual] = [carriedByDump(recorded), carriedByDump(restored)];
  const digestsComparable = expected.digest === actual.digest;
  const verdict = new Verdict(digestsComparable, reprintedNote(printers));
  const actualByKey = new Map(actual.objects.map((object) => [keyOf(object), object]));
  const expectedKeys = new Set(expected.objects.map(keyOf));
  for (const object of expected.objects) {
    const found = actualByKey.get(keyOf(object));
    if (found) verdict.judge(object, found);
  }
  const { renamed, missing, extra } = pairRegeneratedNames(
    expected.objects.filter((object) => !actualByKey.has(keyOf(object))),
    actual.objects.filter((object) => !expectedKeys.has(keyOf(object))),
  );
  for (const pair of renamed) {
    verdict.judge(pair.expected, pair.actual);
    verdict.notes.push({
      kind: pair.expected.kind,
      name: pair.expected.name,
      note:
        `restored as ${pair.actual.name}: PostgreSQL names a partition's copy of its parent's ` +
        `${pair.expected.attributes.type ?? 'constraint'} anew, so it is matched by table and definition`,
    });
  }
  return {
    missing: missing.sort(compareObjects),
    extra: extra.sort(compareObjects),
    different: verdict.different.sort(compareObjects),
    notComparable: unique([...expected.notComparable, ...actual.notComparable, ...whole(expected, actual)]),
    notes: verdict.notes.sort(compareObjects),
  };
}

/** What cannot be compared for the inventories as a whole: digests made differently, servers of two majors. */
function whole(expected: Inventory, actual: Inventory): NotComparable[] {
  const entries: NotComparable[] = [];
  if (expected.digest !== actual.digest) {
    entries.push({
      kind: 'definitions',
      name: 'all digests',
      reason: `the inventories were digested differently (${expected.digest}, ${actual.digest})`,
    });
  }
  if (expected.serverMajor !== actual.serverMajor) {
    entries.push({
      kind: 'server version',
      name: `${expected.serverMajor} -> ${actual.serverMajor}`,
      reason: 'definitions are printed by each server: across majors they may differ where nothing was lost',
    });
  }
  return entries;
}

/** The note for a printed definition that differs, when the two servers are of different point releases. */
function reprintedNote(printers: Printers | undefined): string | undefined {
  if (!printers || printers.expected.versionNum === printers.actual.versionNum) return undefined;
  return (
    `printed differently by PostgreSQL ${printers.expected.version} and ${printers.actual.version}, whose ` +
    'point releases print some definitions otherwise; the object and its other attributes match'
  );
}

/** Differences and notes, object by object. */
class Verdict {
  readonly different: ObjectDifference[] = [];
  readonly notes: DiffNote[] = [];

  constructor(
    private readonly digestsComparable: boolean,
    private readonly reprinted: string | undefined,
  ) {}

  judge(want: InventoryObject, have: InventoryObject): void {
    const all = compareAttributes(want, have, this.digestsComparable);
    const printed = this.reprinted
      ? all.filter((a) => PRINTED.test(a.attribute) && a.summary.endsWith(' differs'))
      : [];
    const attributes = all.filter((a) => !printed.includes(a));
    if (attributes.length > 0) this.different.push({ kind: want.kind, name: want.name, attributes });
    if (printed.length > 0) {
      const what = printed.map((a) => a.attribute).join(', ');
      this.notes.push({ kind: want.kind, name: want.name, note: `${what} ${this.reprinted!}` });
    }
  }
}

function keyOf(object: { kind: string; name: string }): string {
  return `${object.kind}\u0000${object.name}`;
}

/** A sequence's value is compared only when the expected inventory has it (see applySequenceValues). */
/** A constraint's parent is compared only when the expected inventory has it (older manifests lack it). */
const ONLY_WHEN_EXPECTED: Readonly<Record<string, ReadonlySet<string>>> = {
  sequence: new Set(['value', 'called']),
  constraint: new Set(['inherited from']),
};

/**
 * Attributes that name another object whose name a restore may make anew (regenerated-names.ts): only whether
 * they are there is compared. A partition's foreign key copied from a parent whose own copy was renamed names
 * the parent by its new name.
 */
const PRESENCE_ONLY: Readonly<Record<string, ReadonlySet<string>>> = {
  constraint: new Set(['inherited from']),
};

function compareAttributes(
  expected: InventoryObject,
  actual: InventoryObject,
  digestsComparable: boolean,
): AttributeDifference[] {
  const names = [...new Set([...Object.keys(expected.attributes), ...Object.keys(actual.attributes)])].sort(
    compareText,
  );
  const differences: AttributeDifference[] = [];
  for (const attribute of names) {
    const want = expected.attributes[attribute];
    const have = actual.attributes[attribute];
    if (want === have) continue;
    if (want === undefined && ONLY_WHEN_EXPECTED[expected.kind]?.has(attribute)) continue;
    if (want !== undefined && have !== undefined && PRESENCE_ONLY[expected.kind]?.has(attribute)) continue;
    if (isDigest(want) || isDigest(have)) {
      if (digestsComparable) differences.push(digestDifference(attribute, want, have));
      continue;
    }
    differences.push({
      attribute,
      ...(want === undefined ? {} : { expected: want }),
      ...(have === undefined ? {} : { actual: have }),
      summary:
        want === undefined
          ? `unexpected "${have}"`
          : have === undefined
            ? `missing (expected "${want}")`
            : `expected "${want}", found "${have}"`,
    });
  }
  return differences;
}

function digestDifference(
  attribute: string,
  want: string | undefined,
  have: string | undefined,
): AttributeDifference {
  const what = attribute === 'definition' ? 'definition' : attribute;
  if (want === undefined) return { attribute, summary: `${what} present only in the restore` };
  if (have === undefined) return { attribute, summary: `${what} missing` };
  return { attribute, summary: `${what} differs` };
}

function unique(entries: readonly NotComparable[]): NotComparable[] {
  const byKey = new Map(entries.map((entry) => [`${keyOf(entry)}\u0000${entry.reason}`, entry]));
  return [...byKey.values()].sort((a, b) => compareObjects(a, b) || compareText(a.reason, b.reason));
}

/** One line per note, for the log. */
export function describeNotes(diff: InventoryDiff): string[] {
  return diff.notes.map((entry) => `${entry.kind} ${entry.name} ${entry.note}`);
}

/** One line per difference, for a job summary or a test's message. */
export function describeDiff(diff: InventoryDiff): string[] {
  return [
    ...diff.missing.map((object) => `missing ${object.kind} ${object.name}`),
    ...diff.extra.map((object) => `extra ${object.kind} ${object.name}`),
    ...diff.different.map(
      (object) =>
        `different ${object.kind} ${object.name}: ${object.attributes.map((a) => `${a.attribute} ${a.summary}`).join('; ')}`,
    ),
  ];
}
