/**
 * Counting rows never runs a row-level security policy's function: the policy is anyone's code (whoever could
 * create a table in production), and the count runs as the backup's role, or as the drill's on the target. With
 * `row_security = off`, as pg_dump sets it, a table whose policy would apply fails with PostgreSQL's own error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSnapshotSession } from '../src/backup/snapshot-session.js';
import { parseConnectionUrl } from '../src/postgres/connection-url.js';
import { countAllRows } from '../src/restore/target-database.js';
import { withClient } from '../src/postgres/server-version.js';
import { sql } from './support/dataset.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';

describe('row counts under row-level security', () => {
  let server: TestPostgres;
  let tableOid: number;

  beforeAll(async () => {
    server = await startPostgres(17);
    await sql(
      server,
      'app',
      `CREATE ROLE planter LOGIN PASSWORD 'planter-pw';
       GRANT CREATE ON SCHEMA public TO planter;`,
    );
    const planter: TestPostgres = {
      ...server,
      url: (options = {}) => server.url({ user: 'planter', password: 'planter-pw', ...options }),
    };
    await sql(
      planter,
      'app',
      `CREATE FUNCTION public.gate() RETURNS boolean LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'policy function ran as %', current_user; END $$;
       CREATE TABLE public.guarded (x int);
       INSERT INTO public.guarded VALUES (1), (2);
       ALTER TABLE public.guarded ENABLE ROW LEVEL SECURITY;
       ALTER TABLE public.guarded FORCE ROW LEVEL SECURITY;
       CREATE POLICY gate ON public.guarded USING (public.gate());`,
    );
    const [oid] = await sql(server, 'app', "SELECT 'public.guarded'::regclass::oid::int AS oid");
    tableOid = (oid!.rows[0] as { oid: number }).oid;
  });
  afterAll(async () => {
    await server.stop();
  });

  const asPlanter = () =>
    parseConnectionUrl(
      server.url({ user: 'planter', password: 'planter-pw', params: { sslmode: 'disable' } }),
      {
        user: 'x',
        socketDir: '/tmp',
      },
    );

  it("fails the backup's exact count with PostgreSQL's error, never running the policy", async () => {
    const counted = withSnapshotSession(asPlanter(), (session) =>
      session.countRows({ tableOids: [tableOid], hasLargeObjects: false }, 'exact'),
    );
    await expect(counted).rejects.toThrow(
      /query would be affected by row-level security policy for table "guarded"/,
    );
  });

  it("counts a superuser's view of the table without running the policy either", async () => {
    const target = parseConnectionUrl(server.url({ params: { sslmode: 'disable' } }), {
      user: 'x',
      socketDir: '/tmp',
    });
    const counts = await withClient(target, target.hosts[0]!, (client) => countAllRows(client));
    expect(counts.get('public.guarded')).toBe(2);
  });

  it("fails the drill's count as the owner, subject to the forced policy, with PostgreSQL's error", async () => {
    const target = asPlanter();
    const counting = withClient(target, target.hosts[0]!, (client) => countAllRows(client));
    await expect(counting).rejects.toThrow(
      /query would be affected by row-level security policy for table "guarded"/,
    );
  });
});
