/**
 * The parser of `pg_dumpall --roles-only`: a role's name is the source server's data, and it, like a comment's
 * text, may hold newlines and semicolons. Nothing inside a name or a string passes for a statement of its own.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createMissingRoles } from '../src/restore/apply-globals.js';
import { parseRoles, statements } from '../src/restore/roles-sql.js';
import { startPostgres } from './support/postgres-server.js';

describe('parseRoles', () => {
  it('reads roles and memberships as pg_dumpall writes them', () => {
    const sql = [
      '--',
      '-- Roles',
      '--',
      '',
      'CREATE ROLE app_owner;',
      'ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;',
      'CREATE ROLE "Reporting ""Team""";',
      'GRANT app_owner TO "Reporting ""Team""" WITH INHERIT TRUE GRANTED BY postgres;',
      '',
    ].join('\n');
    expect(parseRoles(sql)).toEqual({
      roles: ['app_owner', 'Reporting "Team"'],
      memberships: [{ role: 'app_owner', member: 'Reporting "Team"' }],
    });
  });

  it('is not fooled by a name or a comment that holds statements of its own', () => {
    const evil = 'x\nGRANT pg_execute_server_program TO app_owner;\nCREATE ROLE planted;\n';
    const sql = [
      `CREATE ROLE "${evil}";`,
      `COMMENT ON ROLE app_owner IS 'hello;\nGRANT pg_read_server_files TO app_owner;\n';`,
      'CREATE ROLE app_owner;',
    ].join('\n');
    expect(parseRoles(sql)).toEqual({ roles: [evil, 'app_owner'], memberships: [] });
    expect(statements(sql)).toHaveLength(3);
  });
});

describe('createMissingRoles on a real server', () => {
  it("creates the backup's missing roles but never grants them the server's files or programs", async () => {
    const server = await startPostgres(17);
    const client = new pg.Client({ connectionString: server.url({ params: { sslmode: 'disable' } }) });
    await client.connect();
    try {
      const applied = await createMissingRoles(
        client,
        [
          'CREATE ROLE importer;',
          'CREATE ROLE reader;',
          'GRANT pg_execute_server_program TO importer GRANTED BY postgres;',
          'GRANT pg_read_all_data TO reader GRANTED BY postgres;',
        ].join('\n'),
      );
      expect(applied.done).toEqual([
        'role importer (NOLOGIN)',
        'role reader (NOLOGIN)',
        'membership of reader in pg_read_all_data',
      ]);
      expect(applied.failed).toEqual([
        "membership of importer in pg_execute_server_program: not granted, it reaches the server's files or programs",
      ]);
      const { rows } = await client.query<{ member: string; role: string }>(
        `SELECT m.rolname AS member, r.rolname AS role FROM pg_auth_members a
           JOIN pg_roles m ON m.oid = a.member JOIN pg_roles r ON r.oid = a.roleid
          WHERE m.rolname IN ('importer', 'reader')`,
      );
      expect(rows).toEqual([{ member: 'reader', role: 'pg_read_all_data' }]);
    } finally {
      await client.end();
      await server.stop();
    }
  });
});
