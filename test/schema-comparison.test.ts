/**
 * What the schema proof leaves out and what it matches by something other than a name, on inventories written by
 * hand: values a dump cannot carry (options PostgreSQL keeps for itself, shell operators), in manifests written
 * before the rule as in new ones, and the constraints a restore names anew. The same rules on real servers, the
 * distribution's among them: distribution-server.test.ts and inventory.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { carriedByDump } from '../src/inventory/carried-by-dump.js';
import {
  compareInventories,
  describeDiff,
  type Inventory,
  type InventoryObject,
  isFaithful,
} from '../src/inventory/index.js';
import { splitConstraintName } from '../src/inventory/regenerated-names.js';

const object = (kind: string, name: string, attributes: Record<string, string> = {}): InventoryObject => ({
  kind,
  name,
  attributes,
});

const inventory = (objects: InventoryObject[]): Inventory => ({
  format: 1,
  digest: 'sha256',
  serverMajor: 15,
  databaseOwner: 'app_owner',
  objects,
  notComparable: [],
});

describe('options PostgreSQL keeps for itself', () => {
  it("are not compared, in a manifest written before the rule: 15.20's pg_attver on every column", () => {
    const recorded = inventory([
      object('column', 'audit."Event Log".at', { options: 'pg_attver=26580608', type: 'timestamp' }),
      object('column', 'app.t.a', { options: 'n_distinct=5, pg_attver=26580608', type: 'integer' }),
      object('table', 'app.t', { options: 'fillfactor=70, pg_future=1' }),
    ]);
    const restored = inventory([
      object('column', 'audit."Event Log".at', { options: 'pg_attver=26491944', type: 'timestamp' }),
      object('column', 'app.t.a', { options: 'n_distinct=5, pg_attver=26491944', type: 'integer' }),
      object('table', 'app.t', { options: 'fillfactor=70' }),
    ]);
    const diff = compareInventories(recorded, restored);
    expect(describeDiff(diff)).toEqual([]);
    expect(diff.notComparable.map((entry) => `${entry.kind} ${entry.name}`)).toEqual([
      'internal option pg_attver',
      'internal option pg_future',
    ]);
    expect(diff.notComparable[0]!.reason).toMatch(/no SQL statement sets them, so a dump cannot carry them/);
  });

  it('are not compared when only one side has them: a 15.20 backup drilled into an older minor', () => {
    const recorded = inventory([object('column', 'app.t.a', { options: 'pg_attver=1', type: 'integer' })]);
    const restored = inventory([object('column', 'app.t.a', { type: 'integer' })]);
    expect(isFaithful(compareInventories(recorded, restored))).toBe(true);
    expect(isFaithful(compareInventories(restored, recorded))).toBe(true);
  });

  it("leave the options a user sets compared, and a foreign server's digested options alone", () => {
    const recorded = inventory([
      object('column', 'app.t.a', { options: 'n_distinct=5, pg_attver=1' }),
      object('foreign server', 'files', { options: '#0123456789abcdef' }),
    ]);
    const restored = inventory([
      object('column', 'app.t.a', { options: 'n_distinct=7, pg_attver=2' }),
      object('foreign server', 'files', { options: '#0123456789abcdef' }),
    ]);
    expect(describeDiff(compareInventories(recorded, restored))).toEqual([
      'different column app.t.a: options expected "n_distinct=5", found "n_distinct=7"',
    ]);
    expect(carriedByDump(recorded).objects[1]).toEqual(recorded.objects[1]);
  });

  it('are left out of what a backup records, the attributes kept in order', () => {
    const carried = carriedByDump(
      inventory([object('column', 'app.t.a', { comment: '#1', options: 'pg_attver=1', type: 'integer' })]),
    );
    expect(carried.objects).toEqual([object('column', 'app.t.a', { comment: '#1', type: 'integer' })]);
    expect(
      Object.keys(
        carriedByDump(inventory([object('column', 'x', { a: '1', options: 'n=1, pg_x=2', z: '3' })]))
          .objects[0]!.attributes,
      ),
    ).toEqual(['a', 'options', 'z']);
    expect(carriedByDump(carried)).toEqual(carried);
  });
});

describe('shell operators', () => {
  it('are not compared, and are named: pg_dump never dumps one', () => {
    const recorded = inventory([
      object('operator', 'public.!==(integer, integer)', { shell: 'true' }),
      object('operator', 'app.===(app.mood, app.mood)', { function: 'app.mood_same(app.mood,app.mood)' }),
    ]);
    const restored = inventory([
      object('operator', 'app.===(app.mood, app.mood)', { function: 'app.mood_same(app.mood,app.mood)' }),
    ]);
    const diff = compareInventories(recorded, restored);
    expect(describeDiff(diff)).toEqual([]);
    expect(diff.notComparable).toEqual([
      expect.objectContaining({ kind: 'shell operator', name: 'public.!==(integer, integer)' }),
    ]);
  });

  it('still count the operator whose function went missing', () => {
    const recorded = inventory([
      object('operator', 'app.===(integer, integer)', { function: 'app.f(integer,integer)' }),
    ]);
    const restored = inventory([object('operator', 'app.===(integer, integer)', { shell: 'true' })]);
    expect(describeDiff(compareInventories(recorded, restored))).toEqual([
      'missing operator app.===(integer, integer)',
    ]);
  });
});

describe('constraints a restore names anew', () => {
  const fk = { type: 'foreign key', definition: '#00000000000000aa' };

  it("match a partition's copy of its parent's foreign key by table and definition, and note the name", () => {
    const recorded = inventory([
      object('constraint', 'public.fk_partitioned_fk_4.fk_partitioned_fk_4_a_b_fkey', fk),
    ]);
    const restored = inventory([
      object('constraint', 'public.fk_partitioned_fk_4.fk_partitioned_fk_a_b_fkey', {
        ...fk,
        'inherited from': 'public.fk_partitioned_fk.fk_partitioned_fk_a_b_fkey',
      }),
    ]);
    const diff = compareInventories(recorded, restored);
    expect(describeDiff(diff)).toEqual([]);
    expect(diff.notes.map((note) => `${note.kind} ${note.name}`)).toEqual([
      'constraint public.fk_partitioned_fk_4.fk_partitioned_fk_4_a_b_fkey',
    ]);
    expect(diff.notes[0]!.note).toMatch(
      /^restored as public\.fk_partitioned_fk_4\.fk_partitioned_fk_a_b_fkey: PostgreSQL names a partition's copy/,
    );
  });

  it('pairs the copies made for each referenced partition by that partition, and compares the rest', () => {
    const copy = (name: string, references: string, comment?: string) =>
      object('constraint', `app.orders.${name} -> app.${references}`, {
        ...fk,
        'inherited from': 'app.orders.orders_cid_fkey',
        ...(comment ? { comment } : {}),
      });
    const recorded = inventory([
      copy('orders_cid_fkey1', 'c1'),
      copy('orders_cid_fkey2', 'c2', '#0000000000000001'),
    ]);
    const restored = inventory([copy('orders_cid_fkey2', 'c1'), copy('orders_cid_fkey1', 'c2')]);
    const diff = compareInventories(recorded, restored);
    expect(describeDiff(diff)).toEqual([
      'different constraint app.orders.orders_cid_fkey2 -> app.c2: comment comment missing',
    ]);
    expect(diff.notes.map((note) => note.name)).toEqual([
      'app.orders.orders_cid_fkey1 -> app.c1',
      'app.orders.orders_cid_fkey2 -> app.c2',
    ]);
  });

  it('leave a lost constraint missing: another definition, another table, or a restored one of its own', () => {
    const recorded = inventory([
      object('constraint', 'app.a.one', fk),
      object('constraint', 'app.b.two', fk),
      object('constraint', 'app.c.three', fk),
    ]);
    const restored = inventory([
      object('constraint', 'app.a.uno', {
        ...fk,
        definition: '#00000000000000bb',
        'inherited from': 'app.p.x',
      }),
      object('constraint', 'app.other.dos', { ...fk, 'inherited from': 'app.p.x' }),
      object('constraint', 'app.c.tres', fk),
    ]);
    const diff = compareInventories(recorded, restored);
    expect(diff.missing.map((o) => o.name)).toEqual(['app.a.one', 'app.b.two', 'app.c.three']);
    expect(diff.extra.map((o) => o.name)).toEqual(['app.a.uno', 'app.c.tres', 'app.other.dos']);
    expect(diff.notes).toEqual([]);
  });

  it('read quoted names, a quote inside them included', () => {
    expect(splitConstraintName('"My App"."Order ""Lines"""."fk.x" -> app.c1')).toEqual({
      table: '"My App"."Order ""Lines"""',
      constraint: '"fk.x"',
      rest: ' -> app.c1',
    });
    expect(splitConstraintName('app.t.c')).toEqual({ table: 'app.t', constraint: 'c', rest: '' });
    expect(splitConstraintName('app.t')).toBeUndefined();
    expect(splitConstraintName('"unclosed.t.c')).toBeUndefined();
  });
});

describe('definitions printed by servers of different point releases', () => {
  const rule = (definition: string, comment = '#0000000000000001') =>
    inventory([object('rule', 'public.rules_src.r6', { definition, comment, enabled: 'origin' })]);
  const printers = (expected: number, actual: number) => ({
    expected: { versionNum: expected, version: '15.20 (Debian 15.20-0+deb12u1)' },
    actual: { versionNum: actual, version: '15.18' },
  });

  it("are a note naming both releases: 15.20 prints a rule's UPDATE alias with AS, 15.18 without", () => {
    const diff = compareInventories(
      rule('#00000000000000aa'),
      rule('#00000000000000bb'),
      printers(150020, 150018),
    );
    expect(describeDiff(diff)).toEqual([]);
    expect(diff.notes.map((note) => `${note.name}: ${note.note}`)).toEqual([
      'public.rules_src.r6: definition printed differently by PostgreSQL 15.20 (Debian 15.20-0+deb12u1) and 15.18, ' +
        'whose point releases print some definitions otherwise; the object and its other attributes match',
    ]);
  });

  it('are a difference between servers of one release, and so is anything stored as written', () => {
    expect(
      describeDiff(
        compareInventories(rule('#00000000000000aa'), rule('#00000000000000bb'), printers(150020, 150020)),
      ),
    ).toEqual(['different rule public.rules_src.r6: definition definition differs']);
    expect(
      describeDiff(
        compareInventories(
          rule('#00000000000000aa'),
          rule('#00000000000000aa', '#0000000000000002'),
          printers(150020, 150018),
        ),
      ),
    ).toEqual(['different rule public.rules_src.r6: comment comment differs']);
    // A definition the restore lost is no printing.
    expect(
      describeDiff(
        compareInventories(
          rule('#00000000000000aa'),
          inventory([
            object('rule', 'public.rules_src.r6', { comment: '#0000000000000001', enabled: 'origin' }),
          ]),
          printers(150020, 150018),
        ),
      ),
    ).toEqual(['different rule public.rules_src.r6: definition definition missing']);
  });
});

describe("a constraint's parent", () => {
  it('is compared by presence: the parent may itself have been named anew', () => {
    const constraint = (parent: string | undefined) =>
      inventory([
        object('constraint', 'public.fk_4_1.fk_4_a_b_fkey', {
          type: 'foreign key',
          ...(parent ? { 'inherited from': parent } : {}),
        }),
      ]);
    const renamedParent = compareInventories(
      constraint('public.fk_4.fk_4_a_b_fkey'),
      constraint('public.fk_4.fk_a_b_fkey'),
    );
    expect(describeDiff(renamedParent)).toEqual([]);
    expect(
      describeDiff(compareInventories(constraint('public.fk_4.fk_4_a_b_fkey'), constraint(undefined))),
    ).toEqual([
      'different constraint public.fk_4_1.fk_4_a_b_fkey: inherited from missing (expected "public.fk_4.fk_4_a_b_fkey")',
    ]);
    // A manifest written before parents were recorded.
    expect(
      describeDiff(compareInventories(constraint(undefined), constraint('public.fk_4.fk_a_b_fkey'))),
    ).toEqual([]);
  });
});
