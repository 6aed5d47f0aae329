/** Text-search configurations, dictionaries, parsers and templates. */
import type { CollectContext, OwnedRow } from './context.js';
import { digestOf, notInExtension, ownedAttributes, ownedColumns, userSchema } from './context.js';
import { qualifiedName } from './names.js';

/** `[schema, name]` of a catalog row referenced by oid. */
function pairOf(catalog: string, name: string, namespace: string, oid: string): string {
  return `(SELECT json_build_array(rn.nspname, r.${name}) FROM ${catalog} r
    JOIN pg_namespace rn ON rn.oid = r.${namespace} WHERE r.oid = ${oid})`;
}

function pairName(pair: [string, string] | null): string | undefined {
  return pair ? qualifiedName(...pair) : undefined;
}

export async function collectTextSearch(context: CollectContext): Promise<void> {
  await configurations(context);
  await dictionaries(context);
  await parsersAndTemplates(context);
}

async function configurations(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { schema: string; name: string; parser: [string, string] | null; mapping: string | null }
  >(
    `SELECT n.nspname AS schema, c.cfgname AS name, ${pairOf('pg_ts_parser', 'prsname', 'prsnamespace', 'c.cfgparser')} AS parser,
            (SELECT string_agg(m.maptokentype || ':' || m.mapseqno || ':' || m.mapdict::regdictionary::text, ' '
               ORDER BY m.maptokentype, m.mapseqno) FROM pg_ts_config_map m WHERE m.mapcfg = c.oid) AS mapping,
            ${ownedColumns('c.cfgowner', 'pg_ts_config', 'c.oid')}
       FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_ts_config', 'c.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('text search configuration', qualifiedName(row.schema, row.name), {
      ...ownedAttributes(context, row),
      parser: pairName(row.parser),
      mapping: digestOf(context, row.mapping),
    });
  }
}

async function dictionaries(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { schema: string; name: string; template: [string, string] | null; options: string | null }
  >(
    `SELECT n.nspname AS schema, d.dictname AS name, d.dictinitoption AS options,
            ${pairOf('pg_ts_template', 'tmplname', 'tmplnamespace', 'd.dicttemplate')} AS template,
            ${ownedColumns('d.dictowner', 'pg_ts_dict', 'd.oid')}
       FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_ts_dict', 'd.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('text search dictionary', qualifiedName(row.schema, row.name), {
      ...ownedAttributes(context, row),
      template: pairName(row.template),
      options: digestOf(context, row.options),
    });
  }
}

/** Neither has an owner: only a superuser creates them. */
async function parsersAndTemplates(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{
    kind: string;
    schema: string;
    name: string;
    functions: string;
    comment: string | null;
  }>(
    `SELECT 'text search parser' AS kind, n.nspname AS schema, p.prsname AS name,
            concat_ws(', ', p.prsstart::text, p.prstoken::text, p.prsend::text, p.prslextype::text,
              nullif(p.prsheadline::text, '-')) AS functions, obj_description(p.oid, 'pg_ts_parser') AS comment
       FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_ts_parser', 'p.oid')}
     UNION ALL
     SELECT 'text search template', n.nspname, t.tmplname,
            concat_ws(', ', nullif(t.tmplinit::text, '-'), t.tmpllexize::text), obj_description(t.oid, 'pg_ts_template')
       FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace
      WHERE ${userSchema('n')} AND ${notInExtension('pg_ts_template', 't.oid')}`,
  );
  for (const row of rows) {
    context.sink.add(row.kind, qualifiedName(row.schema, row.name), {
      functions: row.functions,
      comment: digestOf(context, row.comment),
    });
  }
}
