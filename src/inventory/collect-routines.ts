/**
 * Functions, procedures and aggregates (named with their argument types, since overloads share a name), operators
 * (shell operators included: they exist only as a name another operator points to), casts, event triggers and
 * procedural languages.
 */
import type { CollectContext, OwnedRow } from './context.js';
import {
  digestOf,
  flag,
  notGenerated,
  notInExtension,
  ownedAttributes,
  ownedColumns,
  userSchema,
} from './context.js';
import { qualifiedName } from './names.js';

const ROUTINE_KINDS: Readonly<Record<string, string>> = {
  f: 'function',
  p: 'procedure',
  a: 'aggregate',
  w: 'window function',
};

interface RoutineRow extends OwnedRow {
  schema: string;
  name: string;
  prokind: string;
  args: string[];
  definition: string | null;
  transition: string | null;
  final: string | null;
  combine: string | null;
  state_type: string | null;
  initial: string | null;
  sort_operator: string | null;
}

/** A zero regproc as NULL, any other as its signature (qualified: the search path is empty). */
function signature(column: string): string {
  return `CASE WHEN ${column} <> 0 THEN ${column}::oid::regprocedure::text END`;
}

export async function collectRoutines(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<RoutineRow>(
    `SELECT n.nspname AS schema, p.proname AS name, p.prokind::text AS prokind,
            ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, i) ORDER BY i)
              AS args,
            CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition,
            ${signature('g.aggtransfn')} AS transition, ${signature('g.aggfinalfn')} AS final,
            ${signature('g.aggcombinefn')} AS combine, format_type(g.aggtranstype, NULL) AS state_type,
            g.agginitval AS initial, CASE WHEN g.aggsortop <> 0 THEN g.aggsortop::regoperator::text END AS sort_operator,
            ${ownedColumns('p.proowner', 'pg_proc', 'p.oid', { column: 'p.proacl', type: 'f' })}
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       LEFT JOIN pg_aggregate g ON g.aggfnoid = p.oid
      WHERE ${userSchema('n')} AND ${notGenerated('pg_proc', 'p.oid')}`,
  );
  for (const row of rows) {
    const kind = ROUTINE_KINDS[row.prokind] ?? 'function';
    context.sink.add(kind, `${qualifiedName(row.schema, row.name)}(${row.args.join(', ')})`, {
      ...ownedAttributes(context, row),
      definition: digestOf(context, row.definition),
      transition: row.transition,
      final: row.final,
      combine: row.combine,
      'state type': row.state_type,
      initial: digestOf(context, row.initial),
      'sort operator': row.sort_operator,
    });
  }
}

interface OperatorRow extends OwnedRow {
  schema: string;
  name: string;
  left: string;
  right: string;
  result: string;
  function: string | null;
  commutator: string | null;
  negator: string | null;
  restrict: string | null;
  join: string | null;
  hashes: boolean;
  merges: boolean;
}

function operatorRef(column: string): string {
  return `CASE WHEN ${column} <> 0 THEN ${column}::oid::regoperator::text END`;
}

export async function collectOperators(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<OperatorRow>(
    `SELECT n.nspname AS schema, o.oprname AS name,
            CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END AS left,
            CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END AS right,
            format_type(o.oprresult, NULL) AS result, ${signature('o.oprcode')} AS function,
            ${operatorRef('o.oprcom')} AS commutator, ${operatorRef('o.oprnegate')} AS negator,
            nullif(o.oprrest::text, '-') AS restrict, nullif(o.oprjoin::text, '-') AS join,
            o.oprcanhash AS hashes, o.oprcanmerge AS merges,
            ${ownedColumns('o.oprowner', 'pg_operator', 'o.oid')}
       FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_operator', 'o.oid')}`,
  );
  for (const row of rows) {
    const name = `${qualifiedName(row.schema)}.${row.name}(${row.left}, ${row.right})`;
    // carried-by-dump.ts leaves a shell out: pg_dump never dumps one. Its owner is not counted as the role's.
    const shell = row.function === null;
    const { owner, ...owned } = ownedAttributes(context, row);
    context.sink.add('operator', name, {
      ...owned,
      owner: shell ? undefined : owner,
      shell: flag(shell),
      function: row.function,
      result: row.function === null ? undefined : row.result,
      commutator: row.commutator,
      negator: row.negator,
      restrict: row.restrict,
      join: row.join,
      hashes: flag(row.hashes),
      merges: flag(row.merges),
    });
  }
}

const CAST_CONTEXTS: Readonly<Record<string, string>> = { e: 'explicit', a: 'assignment', i: 'implicit' };
const CAST_METHODS: Readonly<Record<string, string>> = { f: 'function', i: 'inout', b: 'binary' };

/** Casts created by users: their oids are above the bootstrap range, whatever schemas their types are in. */
export async function collectCasts(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{
    source: string;
    target: string;
    context: string;
    method: string;
    function: string | null;
    comment: string | null;
  }>(
    `SELECT format_type(c.castsource, NULL) AS source, format_type(c.casttarget, NULL) AS target,
            c.castcontext::text AS context, c.castmethod::text AS method, ${signature('c.castfunc')} AS function,
            obj_description(c.oid, 'pg_cast') AS comment
       FROM pg_cast c WHERE c.oid >= 16384 AND ${notGenerated('pg_cast', 'c.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('cast', `${row.source} -> ${row.target}`, {
      context: CAST_CONTEXTS[row.context] ?? row.context,
      method: CAST_METHODS[row.method] ?? row.method,
      function: row.function,
      comment: digestOf(context, row.comment),
    });
  }
}

const EVENT_TRIGGER_ENABLED: Readonly<Record<string, string>> = {
  O: 'origin',
  D: 'disabled',
  R: 'replica',
  A: 'always',
};

export async function collectEventTriggers(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { name: string; event: string; function: string; enabled: string; tags: string[] | null }
  >(
    `SELECT e.evtname AS name, e.evtevent AS event, e.evtfoid::regprocedure::text AS function,
            e.evtenabled::text AS enabled, e.evttags AS tags,
            ${ownedColumns('e.evtowner', 'pg_event_trigger', 'e.oid')}
       FROM pg_event_trigger e WHERE ${notInExtension('pg_event_trigger', 'e.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('event trigger', qualifiedName(row.name), {
      ...ownedAttributes(context, row),
      event: row.event,
      function: row.function,
      enabled: EVENT_TRIGGER_ENABLED[row.enabled] ?? row.enabled,
      tags: row.tags?.slice().sort().join(', '),
    });
  }
}

export async function collectLanguages(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { name: string; trusted: boolean; handler: string | null }
  >(
    `SELECT l.lanname AS name, l.lanpltrusted AS trusted, ${signature('l.lanplcallfoid')} AS handler,
            ${ownedColumns('l.lanowner', 'pg_language', 'l.oid', { column: 'l.lanacl', type: 'l' })}
       FROM pg_language l WHERE l.oid >= 16384 AND ${notInExtension('pg_language', 'l.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('language', qualifiedName(row.name), {
      ...ownedAttributes(context, row),
      trusted: flag(row.trusted),
      handler: row.handler,
    });
  }
}
