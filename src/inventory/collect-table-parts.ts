/**
 * What hangs off a table and is named by table and name: constraints, indexes, triggers, rules, policies, and
 * extended statistics (named by schema). Definitions are digests of the server's own printout
 * (pg_get_constraintdef, pg_get_indexdef, …), which is the same on two servers of one major.
 */
import {
  type CollectContext,
  digestOf,
  flag,
  notInExtension,
  ownedAttributes,
  ownedColumns,
  userSchema,
} from './context.js';
import type { OwnedRow } from './context.js';
import { qualifiedName } from './names.js';
import { tablespaceUsed } from './collect-relations.js';

/** Joins `c` (the table) and `n` (its schema), and keeps user tables that are no extension's. */
const ON_USER_TABLE = `JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}`;

interface PartRow {
  schema: string;
  table: string;
  name: string;
  definition: string | null;
  comment: string | null;
}

function partName(row: PartRow): string {
  return `${qualifiedName(row.schema, row.table)}.${qualifiedName(row.name)}`;
}

const CONSTRAINT_TYPES: Readonly<Record<string, string>> = {
  c: 'check',
  f: 'foreign key',
  n: 'not null',
  p: 'primary key',
  u: 'unique',
  t: 'constraint trigger',
  x: 'exclusion',
};

interface ConstraintRow extends PartRow {
  type: string;
  /** `[schema, table, name]` of the constraint PostgreSQL copied this one from (a partition's). */
  parent: [string, string, string] | null;
  /** The partition a copy references when it differs from its parent's (a partitioned referenced table). */
  references: [string, string] | null;
}

/**
 * Constraints of user tables. A copy PostgreSQL made from a parent's (conparentid) records that parent: a restore
 * makes the copies itself and may name them anew (regenerated-names.ts). The copies a foreign key gets for each
 * partition of the table it references share its name on one table, so their key also names that partition.
 */
export async function collectConstraints(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<ConstraintRow>(
    `SELECT n.nspname AS schema, c.relname AS table, co.conname AS name, co.contype::text AS type,
            pg_get_constraintdef(co.oid) AS definition, obj_description(co.oid, 'pg_constraint') AS comment,
            (SELECT json_build_array(pn.nspname, pc.relname, p.conname) FROM pg_constraint p
               JOIN pg_class pc ON pc.oid = p.conrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
              WHERE p.oid = co.conparentid) AS parent,
            (SELECT json_build_array(rn.nspname, r.relname) FROM pg_constraint p
               JOIN pg_class r ON r.oid = co.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
              WHERE p.oid = co.conparentid AND p.conrelid = co.conrelid AND p.confrelid <> co.confrelid)
              AS references
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid ${ON_USER_TABLE}`,
  );
  for (const row of rows) {
    const references = row.references ? ` -> ${qualifiedName(...row.references)}` : '';
    context.sink.add('constraint', `${partName(row)}${references}`, {
      type: CONSTRAINT_TYPES[row.type] ?? row.type,
      definition: digestOf(context, row.definition),
      comment: digestOf(context, row.comment),
      'inherited from': row.parent ? qualifiedName(...row.parent) : undefined,
    });
  }
}

export async function collectIndexes(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    PartRow & { valid: boolean; clustered: boolean; tablespace: string | null }
  >(
    `SELECT n.nspname AS schema, c.relname AS table, i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition,
            x.indisvalid AS valid, x.indisclustered AS clustered, ts.spcname AS tablespace,
            obj_description(i.oid, 'pg_class') AS comment
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       LEFT JOIN pg_tablespace ts ON ts.oid = i.reltablespace ${ON_USER_TABLE}`,
  );
  for (const row of rows) {
    if (row.tablespace) tablespaceUsed(context, row.tablespace);
    if (!row.valid) {
      // pg_dump leaves invalid indexes (a failed CREATE INDEX CONCURRENTLY) out.
      context.sink.notComparable(
        'index',
        partName(row),
        'the index is invalid, and pg_dump leaves invalid indexes out',
      );
      continue;
    }
    context.sink.add('index', partName(row), {
      definition: digestOf(context, row.definition),
      clustered: flag(row.clustered),
      comment: digestOf(context, row.comment),
    });
  }
}

const TRIGGER_ENABLED: Readonly<Record<string, string>> = {
  O: 'origin',
  D: 'disabled',
  R: 'replica',
  A: 'always',
};

export async function collectTriggers(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<PartRow & { enabled: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition,
            t.tgenabled::text AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid ${ON_USER_TABLE} AND NOT t.tgisinternal`,
  );
  for (const row of rows) {
    context.sink.add('trigger', partName(row), {
      definition: digestOf(context, row.definition),
      enabled: TRIGGER_ENABLED[row.enabled] ?? row.enabled,
      comment: digestOf(context, row.comment),
    });
  }
}

export async function collectRules(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<PartRow & { enabled: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, r.rulename AS name, pg_get_ruledef(r.oid) AS definition,
            r.ev_enabled::text AS enabled, obj_description(r.oid, 'pg_rewrite') AS comment
       FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class ${ON_USER_TABLE} AND r.rulename <> '_RETURN'`,
  );
  for (const row of rows) {
    context.sink.add('rule', partName(row), {
      definition: digestOf(context, row.definition),
      enabled: TRIGGER_ENABLED[row.enabled] ?? row.enabled,
      comment: digestOf(context, row.comment),
    });
  }
}

const POLICY_COMMANDS: Readonly<Record<string, string>> = {
  '*': 'ALL',
  r: 'SELECT',
  a: 'INSERT',
  w: 'UPDATE',
  d: 'DELETE',
};

interface PolicyRow extends PartRow {
  command: string;
  permissive: boolean;
  roles: string[];
  check: string | null;
}

export async function collectPolicies(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<PolicyRow>(
    `SELECT n.nspname AS schema, c.relname AS table, p.polname AS name, p.polcmd::text AS command,
            p.polpermissive AS permissive,
            ARRAY(SELECT CASE r WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r)
              AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS definition, pg_get_expr(p.polwithcheck, p.polrelid) AS check,
            obj_description(p.oid, 'pg_policy') AS comment
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid ${ON_USER_TABLE}`,
  );
  for (const row of rows) {
    context.sink.add('policy', partName(row), {
      command: POLICY_COMMANDS[row.command] ?? row.command,
      permissive: String(row.permissive),
      roles: [...new Set(row.roles.map((role) => context.roles.name(role)))].sort().join(', '),
      using: digestOf(context, row.definition),
      'with check': digestOf(context, row.check),
      comment: digestOf(context, row.comment),
    });
  }
}

interface StatisticsRow extends OwnedRow {
  schema: string;
  name: string;
  definition: string;
  target: string | null;
}

export async function collectStatistics(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<StatisticsRow>(
    `SELECT n.nspname AS schema, s.stxname AS name, pg_get_statisticsobjdef(s.oid) AS definition,
            nullif(s.stxstattarget::text, '-1') AS target,
            ${ownedColumns('s.stxowner', 'pg_statistic_ext', 's.oid')}
       FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_statistic_ext', 's.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('statistics', qualifiedName(row.schema, row.name), {
      ...ownedAttributes(context, row),
      definition: digestOf(context, row.definition),
      target: row.target,
    });
  }
}
