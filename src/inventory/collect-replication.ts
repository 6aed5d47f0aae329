/**
 * Publications (what they publish: all tables, tables with their row filters and column lists, schemas) and
 * subscriptions. A restored subscription is disabled and has never connected, by design of pg_dump.
 */
import type { Attributes, CollectContext, OwnedRow } from './context.js';
import { digestOf, flag, notInExtension, ownedAttributes, ownedColumns } from './context.js';
import { qualifiedName } from './names.js';

interface PublicationRow extends OwnedRow {
  name: string;
  row: Record<string, unknown>;
  tables: [string, string, string | null, string | null][] | null;
  schemas: string[] | null;
}

/** Row filters and column lists came with PostgreSQL 15, as did publishing whole schemas. */
function publicationSql(major: number): string {
  const filter = major >= 15 ? 'pg_get_expr(r.prqual, r.prrelid)' : 'NULL::text';
  const columns =
    major >= 15
      ? `(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
           WHERE a.attrelid = r.prrelid AND a.attnum = ANY(r.prattrs))`
      : 'NULL::text';
  const schemas =
    major >= 15
      ? `ARRAY(SELECT s.nspname::text FROM pg_publication_namespace ps JOIN pg_namespace s ON s.oid = ps.pnnspid
           WHERE ps.pnpubid = p.oid ORDER BY 1)`
      : 'NULL::text[]';
  return `SELECT p.pubname AS name, to_jsonb(p) AS row, ${schemas} AS schemas,
            (SELECT json_agg(json_build_array(n.nspname, c.relname, ${filter}, ${columns}))
               FROM pg_publication_rel r JOIN pg_class c ON c.oid = r.prrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.prpubid = p.oid) AS tables,
            ${ownedColumns('p.pubowner', 'pg_publication', 'p.oid')}
       FROM pg_publication p WHERE ${notInExtension('pg_publication', 'p.oid')}`;
}

/** Every other column of pg_publication (which actions, via root, generated columns…) as it is. */
const PUBLICATION_IDENTITY = new Set(['oid', 'pubname', 'pubowner']);

export async function collectPublications(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<PublicationRow>(publicationSql(context.major));
  for (const row of rows) {
    const attributes: Attributes = { ...ownedAttributes(context, row) };
    for (const [column, value] of Object.entries(row.row)) {
      if (!PUBLICATION_IDENTITY.has(column)) attributes[column.replace(/^pub/, '')] = String(value);
    }
    const tables = (row.tables ?? []).map(([schema, table, filter, columns]) => {
      const where = filter === null ? '' : ` where ${digestOf(context, filter) ?? ''}`;
      return `${qualifiedName(schema, table)}${columns === null ? '' : ` (${columns})`}${where}`;
    });
    attributes.tables = tables.sort().join('; ') || undefined;
    attributes.schemas = row.schemas?.map((schema) => qualifiedName(schema)).join(', ') || undefined;
    context.sink.add('publication', qualifiedName(row.name), attributes);
  }
}

/** Only these columns of pg_subscription are readable by every role; the connection string is not one. */
export async function collectSubscriptions(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { name: string; enabled: boolean; publications: string[] }
  >(
    `SELECT s.subname AS name, s.subenabled AS enabled, s.subpublications AS publications,
            ${ownedColumns('s.subowner', 'pg_subscription', 's.oid')}
       FROM pg_subscription s WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  for (const row of rows) {
    const name = qualifiedName(row.name);
    context.sink.add('subscription', name, {
      ...ownedAttributes(context, row),
      publications: row.publications.slice().sort().join(', '),
    });
    context.sink.notComparable(
      'subscription state',
      name,
      `pg_dump restores a subscription disabled and unconnected (connect = false); enabled on the source: ${flag(row.enabled) ?? 'false'}`,
    );
  }
}
