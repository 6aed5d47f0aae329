/** Schemas and extensions: the containers everything else is named by. */
import type { CollectContext, OwnedRow } from './context.js';
import { digestOf, notInExtension, ownedAttributes, ownedColumns, userSchema } from './context.js';
import { qualifiedName } from './names.js';

export async function collectSchemas(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<OwnedRow & { name: string }>(
    `SELECT n.nspname AS name, ${ownedColumns('n.nspowner', 'pg_namespace', 'n.oid', { column: 'n.nspacl', type: 'n' })}
       FROM pg_namespace n WHERE ${userSchema('n')} AND ${notInExtension('pg_namespace', 'n.oid')}`,
  );
  for (const row of rows) context.sink.add('schema', qualifiedName(row.name), ownedAttributes(context, row));
}

/** The objects an extension creates are its own and left out everywhere else; the extension itself is here. */
export async function collectExtensions(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{
    name: string;
    version: string;
    schema: string;
    comment: string | null;
  }>(
    `SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema,
            obj_description(e.oid, 'pg_extension') AS comment
       FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`,
  );
  for (const row of rows) {
    context.sink.add('extension', qualifiedName(row.name), {
      version: row.version,
      schema: qualifiedName(row.schema),
      comment: digestOf(context, row.comment),
    });
  }
  if (rows.length > 0) {
    context.sink.notComparable(
      'extension owners',
      'all extensions',
      'CREATE EXTENSION makes the role that restores an extension its owner, and pg_dump cannot say otherwise',
    );
  }
}
