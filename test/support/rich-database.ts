/**
 * A database with an object of every kind the schema inventory records, owned and granted the way real
 * applications do it: four roles with memberships, most objects owned by `app_owner` (the database's owner), some
 * by `app_rw`, table, column, function, type, schema, server and large-object grants, default privileges, row
 * level security, database and role-in-database settings, comments everywhere. It also carries marker strings in
 * function bodies, view definitions, defaults, policies, comments and settings, which an inventory must never
 * show as text (`RichDatabase.secrets`). Works on PostgreSQL 14 to 18; what only newer servers have is added on them.
 */
import pg from 'pg';
import type { TestPostgres } from './postgres-server.js';

export interface RichDatabase {
  readonly database: string;
  /** The roles it created (cluster-wide: a second database on the same server reuses them). */
  readonly roles: readonly string[];
  /** The database's owner. */
  readonly owner: string;
  /** Text that is written into bodies, definitions, defaults, comments and settings, never to be shown. */
  readonly secrets: readonly string[];
  readonly largeObjects: number;
}

export const RICH_ROLES = ['app_owner', 'app_rw', 'app_ro', 'reporting'] as const;

const SECRETS = [
  'function-body-secret-4711',
  'view-definition-secret-0815',
  'default-expression-secret-1234',
  'policy-expression-secret-5678',
  'super-secret-jwt-value-9999',
  'role-setting-secret-2468',
  'comment-secret-1357',
  'hunter2-mapping-password',
  'server-option-secret-host',
];

/** One batch of statements, run as `role` (the superuser when absent) on servers from `since` on. */
interface Step {
  readonly sql: string;
  readonly role?: string;
  readonly since?: number;
}

const ROLES: Step = {
  sql: `
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporting') THEN
        CREATE ROLE reporting NOLOGIN;
        CREATE ROLE app_ro LOGIN IN ROLE reporting;
        CREATE ROLE app_rw LOGIN IN ROLE app_ro;
        CREATE ROLE app_owner LOGIN CREATEDB;
        GRANT app_rw TO app_owner;
      END IF;
    END $$;`,
};

/** What only a superuser may create, and the database-level grants and settings. */
function superuserSteps(database: string): Step[] {
  const db = `"${database}"`;
  return [
    {
      sql: `
        ALTER DATABASE ${db} OWNER TO app_owner;
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        GRANT CREATE ON SCHEMA public TO app_rw;
        CREATE SCHEMA ext AUTHORIZATION app_owner;
        CREATE EXTENSION pg_trgm SCHEMA ext;
        CREATE EXTENSION citext SCHEMA ext;
        CREATE EXTENSION hstore SCHEMA ext;
        CREATE EXTENSION postgres_fdw;
        GRANT EXECUTE ON FUNCTION ext.similarity(text, text) TO app_ro;
        REVOKE EXECUTE ON FUNCTION ext.show_trgm(text) FROM PUBLIC;
        GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO app_owner;
        CREATE FOREIGN DATA WRAPPER dummy_fdw OPTIONS (debug 'true');
        GRANT USAGE ON FOREIGN DATA WRAPPER dummy_fdw TO app_rw;
        COMMENT ON FOREIGN DATA WRAPPER dummy_fdw IS 'a wrapper without a handler';
        CREATE SERVER remote_pg FOREIGN DATA WRAPPER postgres_fdw
          OPTIONS (host 'server-option-secret-host', port '1', dbname 'elsewhere');
        ALTER SERVER remote_pg OWNER TO app_owner;
        GRANT USAGE ON FOREIGN SERVER remote_pg TO app_rw;
        CREATE USER MAPPING FOR app_rw SERVER remote_pg
          OPTIONS (user 'remote_rw', password 'hunter2-mapping-password');
        CREATE USER MAPPING FOR PUBLIC SERVER remote_pg OPTIONS (user 'anonymous');
        CREATE TEXT SEARCH TEMPLATE public.simple_copy (INIT = dsimple_init, LEXIZE = dsimple_lexize);
        CREATE TEXT SEARCH PARSER public.default_copy (START = prsd_start, GETTOKEN = prsd_nexttoken,
          END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
        CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
        COMMENT ON ACCESS METHOD heap_copy IS 'the heap, under another name';
        ALTER DATABASE ${db} SET search_path = app, public;
        ALTER DATABASE ${db} SET statement_timeout = '42s';
        ALTER DATABASE ${db} SET "app.settings.jwt_secret" = 'super-secret-jwt-value-9999';
        COMMENT ON DATABASE ${db} IS 'the rich database: comment-secret-1357';
        ALTER ROLE app_rw IN DATABASE ${db} SET work_mem = '12MB';
        ALTER ROLE app_ro IN DATABASE ${db} SET "app.tenant" = 'role-setting-secret-2468';
        GRANT CONNECT, TEMP ON DATABASE ${db} TO app_ro;
        GRANT CONNECT ON DATABASE ${db} TO app_rw WITH GRANT OPTION;
        REVOKE TEMP ON DATABASE ${db} FROM PUBLIC;`,
    },
  ];
}

const TYPES: Step = {
  role: 'app_owner',
  sql: `
    CREATE SCHEMA app;
    COMMENT ON SCHEMA app IS 'application schema';
    GRANT USAGE ON SCHEMA app TO app_ro, app_rw;
    GRANT CREATE ON SCHEMA app TO app_rw;
    ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app_ro;
    ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO app_rw;
    ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO app_ro;
    ALTER DEFAULT PRIVILEGES FOR ROLE app_rw IN SCHEMA public GRANT SELECT ON TABLES TO reporting;
    CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
    ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok';
    GRANT USAGE ON TYPE app.mood TO app_rw;
    CREATE TYPE app.address AS (street text, city text COLLATE "C", zip varchar(10));
    REVOKE USAGE ON TYPE app.address FROM PUBLIC;
    COMMENT ON TYPE app.address IS 'a postal address';
    CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
    CREATE DOMAIN app.email AS ext.citext CONSTRAINT email_at CHECK (VALUE ~ '^[^@]+@[^@]+$');
    CREATE DOMAIN app.positive_int AS int NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
    COMMENT ON DOMAIN app.positive_int IS 'one or more';
    CREATE COLLATION app.c_copy (locale = 'C');
    CREATE COLLATION app.german_ci (provider = icu, locale = 'de-u-ks-level2', deterministic = false);
    COMMENT ON COLLATION app.german_ci IS 'case-insensitive German';
    CREATE TEXT SEARCH DICTIONARY app.english_simple (TEMPLATE = simple, STOPWORDS = english);
    CREATE TEXT SEARCH CONFIGURATION app.english_app (COPY = pg_catalog.english);
    ALTER TEXT SEARCH CONFIGURATION app.english_app ALTER MAPPING FOR asciiword WITH app.english_simple;
    COMMENT ON TEXT SEARCH CONFIGURATION app.english_app IS 'English with our stop words';
    CREATE SEQUENCE app.invoice_no AS int START 1000 INCREMENT 10 MINVALUE 1000 MAXVALUE 999999 CACHE 5 CYCLE;
    CREATE SEQUENCE app.never_used;
    COMMENT ON SEQUENCE app.invoice_no IS 'invoice numbers';`,
};

const TABLES: Step = {
  role: 'app_owner',
  sql: `
    CREATE TABLE app.customers (
      id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 3) PRIMARY KEY,
      email app.email NOT NULL UNIQUE,
      name text COLLATE "C" NOT NULL DEFAULT 'anonymous',
      nickname text COLLATE app.german_ci,
      mood app.mood DEFAULT 'ok',
      address app.address,
      tags ext.hstore,
      created_at timestamptz NOT NULL DEFAULT now(),
      name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
      note text DEFAULT 'default-expression-secret-1234',
      dropped_later int);
    ALTER TABLE app.customers DROP COLUMN dropped_later;
    ALTER TABLE app.customers ALTER COLUMN note SET STORAGE EXTERNAL;
    ALTER TABLE app.customers ADD CONSTRAINT customers_name_length CHECK (char_length(name) < 200);
    ALTER TABLE app.customers ADD CONSTRAINT customers_recent CHECK (created_at > '2000-01-01') NOT VALID;
    CREATE INDEX customers_name_trgm ON app.customers USING gin (name ext.gin_trgm_ops);
    CREATE INDEX customers_lower_email ON app.customers (lower(email::text)) WHERE created_at > '2020-01-01';
    CREATE STATISTICS app.customers_stats (dependencies) ON mood, created_at FROM app.customers;
    COMMENT ON TABLE app.customers IS 'everyone who ever bought something';
    COMMENT ON COLUMN app.customers.email IS 'unique, case-insensitive';
    COMMENT ON CONSTRAINT customers_name_length ON app.customers IS 'names fit on a label';
    COMMENT ON INDEX app.customers_name_trgm IS 'fuzzy name search';
    REVOKE ALL ON app.customers FROM app_ro;
    GRANT SELECT (id, name), UPDATE (nickname) ON app.customers TO reporting;
    GRANT SELECT, INSERT, UPDATE ON app.customers TO app_rw;
    CREATE TABLE app.orders (
      id bigserial PRIMARY KEY,
      customer_id bigint NOT NULL REFERENCES app.customers ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
      status app.mood,
      total numeric(12, 2) CHECK (total >= 0),
      invoice int DEFAULT nextval('app.invoice_no'),
      placed_at timestamptz DEFAULT now(),
      quantity app.positive_int);
    ALTER SEQUENCE app.invoice_no OWNED BY app.orders.invoice;
    ALTER TABLE app.orders REPLICA IDENTITY FULL;
    ALTER TABLE app.orders SET (fillfactor = 80);
    SET CONSTRAINTS ALL IMMEDIATE;
    INSERT INTO app.customers (email, name, mood, address, tags)
      SELECT 'user' || g || '@example.com', 'Name ' || g, 'happy', ROW('Main St ' || g, 'Town', '12345')::app.address,
             ext.hstore('k', g::text)
        FROM generate_series(1, 40) g;
    INSERT INTO app.orders (customer_id, status, total, quantity)
      SELECT 100 + 3 * (g % 40), 'ok', g * 1.5, 1 + g % 3 FROM generate_series(1, 200) g;
    SELECT setval('app.invoice_no', 5000, false);
    GRANT SELECT, INSERT, UPDATE ON app.orders TO app_rw;
    GRANT SELECT ON app.orders TO app_ro WITH GRANT OPTION;
    GRANT USAGE ON SEQUENCE app.orders_id_seq TO app_rw;
    ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
    ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
    CREATE POLICY orders_rw ON app.orders FOR ALL TO app_rw
      USING (customer_id > 0 AND 'policy-expression-secret-5678' <> '') WITH CHECK (total < 1000000);
    CREATE POLICY orders_ro ON app.orders AS RESTRICTIVE FOR SELECT TO app_ro, reporting USING (status <> 'sad');
    COMMENT ON POLICY orders_rw ON app.orders IS 'writers see their rows';
    ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;
    CREATE TABLE app.orders_log (order_id bigint, deleted_at timestamptz DEFAULT now()) USING heap_copy;
    CREATE RULE orders_archive AS ON DELETE TO app.orders DO ALSO INSERT INTO app.orders_log VALUES (OLD.id);
    COMMENT ON RULE orders_archive ON app.orders IS 'keeps what was deleted';
    CREATE UNLOGGED TABLE app.scratch (k text PRIMARY KEY, v jsonb);`,
};

const PARTITIONS: Step = {
  role: 'app_owner',
  sql: `
    CREATE TABLE app.events (
      id bigint GENERATED BY DEFAULT AS IDENTITY, at date NOT NULL, payload jsonb, PRIMARY KEY (id, at))
      PARTITION BY RANGE (at);
    CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
    CREATE INDEX events_payload ON app.events USING gin (payload);
    INSERT INTO app.events (at, payload) SELECT date '2024-06-01' + g, jsonb_build_object('n', g)
      FROM generate_series(1, 500) g;
    -- A foreign key to a partitioned table, from a partitioned one: PostgreSQL copies it onto each partition and
    -- once per referenced partition, and names the copies itself. event_notes_2025 had an equal foreign key of its
    -- own before it was attached, whose name PostgreSQL keeps and a restore does not.
    CREATE TABLE app.event_notes (event_id bigint, at date, note text,
      FOREIGN KEY (event_id, at) REFERENCES app.events) PARTITION BY RANGE (at);
    CREATE TABLE app.event_notes_2024 PARTITION OF app.event_notes FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE app.event_notes_2025 (event_id bigint, at date, note text,
      CONSTRAINT notes_2025_event FOREIGN KEY (event_id, at) REFERENCES app.events);
    ALTER TABLE app.event_notes ATTACH PARTITION app.event_notes_2025
      FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO app.event_notes SELECT id, at, 'noted' FROM app.events WHERE id % 50 = 0;
    CREATE TABLE app.vehicles (id int PRIMARY KEY, wheels int NOT NULL CHECK (wheels > 0));
    CREATE TABLE app.trucks (payload_kg int) INHERITS (app.vehicles);
    ALTER TABLE app.vehicles ADD COLUMN colour text;
    INSERT INTO app.trucks VALUES (1, 6, 12000, 'red');
    CREATE TABLE app.bikes () INHERITS (app.vehicles);
    CREATE TABLE app.address_book OF app.address;`,
};

const ROUTINES: Step = {
  role: 'app_owner',
  sql: `
    CREATE FUNCTION app.order_total(customer bigint) RETURNS numeric LANGUAGE sql STABLE
      AS $$ SELECT coalesce(sum(total), 0) FROM app.orders
             WHERE customer_id = customer AND 'function-body-secret-4711' <> '' $$;
    REVOKE EXECUTE ON FUNCTION app.order_total(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app.order_total(bigint) TO app_ro;
    COMMENT ON FUNCTION app.order_total(bigint) IS 'what a customer spent';
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = app
      AS $$ BEGIN NEW.placed_at := now(); RETURN NEW; END $$;
    CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW
      WHEN (OLD.total IS DISTINCT FROM NEW.total) EXECUTE FUNCTION app.touch();
    CREATE TRIGGER orders_touch_insert BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
    ALTER TABLE app.orders DISABLE TRIGGER orders_touch_insert;
    COMMENT ON TRIGGER orders_touch ON app.orders IS 'keeps placed_at fresh';
    CREATE PROCEDURE app.archive(before date) LANGUAGE plpgsql
      AS $$ BEGIN DELETE FROM app.orders WHERE placed_at < before; END $$;
    CREATE FUNCTION app.money_add(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
    CREATE FUNCTION app.money_final(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round($1, 2)';
    CREATE AGGREGATE app.money_sum(numeric) (SFUNC = app.money_add, STYPE = numeric, FINALFUNC = app.money_final,
      INITCOND = '0');
    COMMENT ON AGGREGATE app.money_sum(numeric) IS 'sums money';
    CREATE FUNCTION app.mood_same(app.mood, app.mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
    CREATE OPERATOR app.=== (LEFTARG = app.mood, RIGHTARG = app.mood, FUNCTION = app.mood_same,
      COMMUTATOR = OPERATOR(app.===), NEGATOR = OPERATOR(app.!==));
    COMMENT ON OPERATOR app.===(app.mood, app.mood) IS 'same mood';
    -- A shell operator nothing refers to any more (its maker dropped): pg_dump never dumps it.
    CREATE OPERATOR app.=~= (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq, NEGATOR = OPERATOR(app.!~=));
    DROP OPERATOR app.=~=(int, int);
    CREATE FUNCTION app.address_text(app.address) RETURNS text LANGUAGE sql IMMUTABLE
      AS $$ SELECT ($1).street || ', ' || ($1).city $$;
    CREATE CAST (app.address AS text) WITH FUNCTION app.address_text(app.address) AS ASSIGNMENT;
    CREATE CAST (app.mood AS int) WITH INOUT;
    COMMENT ON CAST (app.address AS text) IS 'one line';
    CREATE VIEW app.big_orders WITH (security_barrier) AS
      SELECT id, total FROM app.orders WHERE total > 100 AND 'view-definition-secret-0815' <> '';
    GRANT SELECT ON app.big_orders TO reporting;
    COMMENT ON VIEW app.big_orders IS 'orders over a hundred';
    CREATE VIEW app.cheap_orders AS SELECT * FROM app.orders WHERE total < 10 WITH CASCADED CHECK OPTION;
    -- Not over app.orders: its owner refreshes it, and under FORCE ROW LEVEL SECURITY with pg_restore's
    -- row_security = off that fails ("query would be affected by row-level security policy").
    CREATE MATERIALIZED VIEW app.event_days AS SELECT at, count(*) AS events FROM app.events GROUP BY at;
    CREATE UNIQUE INDEX event_days_at ON app.event_days (at);
    CREATE MATERIALIZED VIEW app.never_filled AS SELECT 1 AS one WITH NO DATA;
    CREATE PUBLICATION app_pub FOR TABLE app.orders, app.customers WITH (publish = 'insert, update');
    COMMENT ON PUBLICATION app_pub IS 'for the warehouse';
    CREATE FOREIGN TABLE app.remote_things (id int NOT NULL, label text OPTIONS (column_name 'lbl'))
      SERVER remote_pg OPTIONS (schema_name 'public', table_name 'things');
    GRANT SELECT ON app.remote_things TO app_ro;`,
};

const APP_RW: Step = {
  role: 'app_rw',
  sql: `
    CREATE TABLE public.rw_notes (id serial PRIMARY KEY, body text);
    CREATE FUNCTION public.rw_note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.rw_notes';
    CREATE TABLE app.rw_owned (id int);
    SELECT lo_from_bytea(424242, 'first large object');
    SELECT lo_from_bytea(424243, decode(repeat('ab', 5000), 'hex'));
    GRANT SELECT ON LARGE OBJECT 424242 TO app_ro;
    COMMENT ON LARGE OBJECT 424243 IS 'the big one';`,
};

/** Syntax that older servers reject. */
const NEWER: Step[] = [
  {
    since: 15,
    role: 'app_owner',
    sql: `
      CREATE VIEW app.invoker_view WITH (security_invoker = true) AS SELECT id FROM app.customers;
      CREATE TABLE app.tokens (t text UNIQUE NULLS NOT DISTINCT);
      CREATE PUBLICATION filtered_pub FOR TABLE app.orders (id, total) WHERE (total > 10);`,
  },
  { since: 15, sql: 'CREATE PUBLICATION app_schema_pub FOR TABLES IN SCHEMA app;' },
  { since: 17, role: 'app_owner', sql: 'GRANT MAINTAIN ON app.orders TO app_rw;' },
  {
    since: 18,
    role: 'app_owner',
    sql: `
      ALTER TABLE app.customers ADD COLUMN name_lower text GENERATED ALWAYS AS (lower(name)) VIRTUAL;
      ALTER TABLE app.orders ADD CONSTRAINT orders_total_cap CHECK (total < 1e9) NOT ENFORCED;
      CREATE TABLE app.named_not_null (id int CONSTRAINT named_nn NOT NULL);`,
  },
  { since: 18, sql: 'ALTER DEFAULT PRIVILEGES FOR ROLE app_rw GRANT SELECT ON LARGE OBJECTS TO app_ro;' },
];

/** Last: an event trigger would fire on the DDL above. */
const EVENTS: Step[] = [
  {
    sql: `
      CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql
        AS $$ BEGIN RAISE DEBUG 'ddl: %', tg_tag; END $$;
      CREATE EVENT TRIGGER log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
        EXECUTE FUNCTION public.log_ddl();
      ALTER EVENT TRIGGER log_ddl ENABLE ALWAYS;
      COMMENT ON EVENT TRIGGER log_ddl IS 'logs table changes';
      CREATE TYPE app.not_yet;
      ALTER TYPE app.not_yet OWNER TO app_owner;
      CREATE OPERATOR FAMILY app.mood_family USING btree;
      ALTER OPERATOR FAMILY app.mood_family USING btree OWNER TO app_owner;
      CREATE OPERATOR CLASS app.int4_copy_ops FOR TYPE int4 USING btree AS
        OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int4, int4);
      ALTER OPERATOR CLASS app.int4_copy_ops USING btree OWNER TO app_owner;
      CREATE PUBLICATION everything FOR ALL TABLES WITH (publish = 'insert');
      CREATE CONVERSION public.latin1_to_utf8_copy FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;`,
  },
  // Not in a transaction block, as CREATE SUBSCRIPTION requires; connect = false, so nothing is reached.
  {
    sql: `CREATE SUBSCRIPTION app_sub CONNECTION 'host=127.0.0.1 port=1 dbname=nowhere'
            PUBLICATION upstream WITH (connect = false, slot_name = NONE)`,
  },
];

/** Builds the rich database in `database` (which must exist and be empty) on `server`, as its superuser. */
export async function seedRichDatabase(server: TestPostgres, database = 'app'): Promise<RichDatabase> {
  const client = new pg.Client({
    connectionString: server.url({ database, params: { sslmode: 'disable' } }),
  });
  await client.connect();
  try {
    const steps = [ROLES, ...superuserSteps(database), TYPES, TABLES, PARTITIONS, ROUTINES, APP_RW, ...NEWER];
    for (const step of [...steps, ...EVENTS]) {
      if (step.since && server.major < step.since) continue;
      await client.query(step.role ? `SET ROLE ${step.role}` : 'RESET ROLE');
      await client.query(step.sql).catch((error: unknown) => {
        throw new Error(`seeding the rich database failed in:\n${step.sql}`, { cause: error });
      });
    }
    await client.query('RESET ROLE');
  } finally {
    await client.end();
  }
  return { database, roles: RICH_ROLES, owner: 'app_owner', secrets: SECRETS, largeObjects: 2 };
}
