/**
 * Foreign-data wrappers, foreign servers and user mappings. Their options can hold hosts and passwords, so a
 * wrapper's and a server's options are a digest and a user mapping's are only their names.
 */
import type { CollectContext, OwnedRow } from './context.js';
import { digestOf, notInExtension, ownedAttributes, ownedColumns } from './context.js';
import { qualifiedName } from './names.js';

export async function collectForeignDataWrappers(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & { name: string; handler: string | null; validator: string | null; options: string[] | null }
  >(
    `SELECT w.fdwname AS name, CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::regproc::text END AS handler,
            CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::regproc::text END AS validator,
            w.fdwoptions AS options,
            ${ownedColumns('w.fdwowner', 'pg_foreign_data_wrapper', 'w.oid', { column: 'w.fdwacl', type: 'F' })}
       FROM pg_foreign_data_wrapper w WHERE ${notInExtension('pg_foreign_data_wrapper', 'w.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('foreign-data wrapper', qualifiedName(row.name), {
      ...ownedAttributes(context, row),
      handler: row.handler,
      validator: row.validator,
      options: digestOf(context, row.options?.slice().sort().join('\n')),
    });
  }
}

export async function collectForeignServers(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<
    OwnedRow & {
      name: string;
      wrapper: string;
      type: string | null;
      version: string | null;
      options: string[] | null;
    }
  >(
    `SELECT s.srvname AS name, w.fdwname AS wrapper, s.srvtype AS type, s.srvversion AS version,
            s.srvoptions AS options,
            ${ownedColumns('s.srvowner', 'pg_foreign_server', 's.oid', { column: 's.srvacl', type: 'S' })}
       FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
      WHERE ${notInExtension('pg_foreign_server', 's.oid')}`,
  );
  for (const row of rows) {
    context.sink.add('foreign server', qualifiedName(row.name), {
      ...ownedAttributes(context, row),
      wrapper: qualifiedName(row.wrapper),
      type: row.type,
      version: row.version,
      options: digestOf(context, row.options?.slice().sort().join('\n')),
    });
  }
}

/**
 * pg_user_mappings shows a mapping's options only to whom may see them, and pg_dump reads the same view: what the
 * backup's role cannot see is neither in the dump nor here. The values are cut off in SQL and never read.
 */
export async function collectUserMappings(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{ server: string; role: string; options: string[] | null }>(
    `SELECT u.srvname AS server, CASE u.umuser WHEN 0 THEN 'PUBLIC' ELSE u.usename::text END AS role,
            ARRAY(SELECT split_part(o, '=', 1) FROM unnest(u.umoptions) o ORDER BY 1) AS options
       FROM pg_user_mappings u`,
  );
  for (const row of rows) {
    context.sink.add('user mapping', `${qualifiedName(row.server)} for ${context.roles.name(row.role)}`, {
      'option names': row.options?.join(', ') || undefined,
    });
  }
}
