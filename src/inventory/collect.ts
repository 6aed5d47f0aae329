/**
 * `collectInventory`: the same catalog queries on the source (inside the dump's snapshot session, so it sees what
 * the dump holds) and on the restored database. Read-only: it changes only the session's search_path, set empty
 * for the duration as pg_dump does, so that every printed name is schema-qualified the same way on both sides.
 */
import type pg from 'pg';
import {
  collectAccessMethods,
  collectConversions,
  collectOperatorClasses,
} from './collect-access-methods.js';
import {
  collectDatabase,
  collectDefaultPrivileges,
  collectLargeObjects,
  collectRoleSettings,
} from './collect-database.js';
import { collectExtensionGrants } from './collect-extension-grants.js';
import { collectForeignDataWrappers, collectForeignServers, collectUserMappings } from './collect-foreign.js';
import { collectColumns, collectRelations } from './collect-relations.js';
import { collectPublications, collectSubscriptions } from './collect-replication.js';
import {
  collectCasts,
  collectEventTriggers,
  collectLanguages,
  collectOperators,
  collectRoutines,
} from './collect-routines.js';
import { collectExtensions, collectSchemas } from './collect-schemas.js';
import { collectSequences } from './collect-sequences.js';
import {
  collectConstraints,
  collectIndexes,
  collectPolicies,
  collectRules,
  collectStatistics,
  collectTriggers,
} from './collect-table-parts.js';
import { collectTextSearch } from './collect-text-search.js';
import { collectCollations, collectTypes } from './collect-types.js';
import { carriedByDump } from './carried-by-dump.js';
import { type CollectContext, Sink } from './context.js';
import { makeDigester } from './digest.js';
import { type CollectOptions, DATABASE_OWNER, type Inventory, INVENTORY_FORMAT } from './inventory.js';
import { RoleNames } from './names.js';

type Collector = (context: CollectContext) => Promise<unknown>;

const COLLECTORS: readonly Collector[] = [
  collectSchemas,
  collectExtensions,
  collectExtensionGrants,
  async (context) => collectColumns(context, await collectRelations(context)),
  collectSequences,
  collectConstraints,
  collectIndexes,
  collectTriggers,
  collectRules,
  collectPolicies,
  collectStatistics,
  collectRoutines,
  collectOperators,
  collectCasts,
  collectEventTriggers,
  collectLanguages,
  collectTypes,
  collectCollations,
  collectTextSearch,
  collectAccessMethods,
  collectOperatorClasses,
  collectConversions,
  collectForeignDataWrappers,
  collectForeignServers,
  collectUserMappings,
  collectPublications,
  collectSubscriptions,
  collectDatabase,
  collectRoleSettings,
  collectDefaultPrivileges,
  collectLargeObjects,
  collectUnrecorded,
];

export async function collectInventory(client: pg.Client, options: CollectOptions = {}): Promise<Inventory> {
  const saved = await client.query<{ path: string }>("SELECT current_setting('search_path') AS path");
  const restorePath = () =>
    client.query("SELECT set_config('search_path', $1, false)", [saved.rows[0]!.path]);
  await client.query("SELECT set_config('search_path', '', false)");
  let inventory: Inventory;
  try {
    inventory = await collect(client, options);
  } catch (error) {
    // In an aborted transaction the reset fails too: the error that aborted it is the one to report.
    await restorePath().catch(() => undefined);
    throw error;
  }
  await restorePath();
  return inventory;
}

async function collect(client: pg.Client, options: CollectOptions): Promise<Inventory> {
  const { context, databaseOwner } = await openContext(client, options);
  for (const step of COLLECTORS) await step(context);
  addRoles(context.sink);
  return carriedByDump({
    format: INVENTORY_FORMAT,
    digest: context.digester.scheme,
    serverMajor: context.major,
    databaseOwner,
    objects: context.sink.objectList(),
    notComparable: context.sink.notComparableList(),
  });
}

async function openContext(
  client: pg.Client,
  options: CollectOptions,
): Promise<{ context: CollectContext; databaseOwner: string }> {
  const { rows } = await client.query<{ major: number; owner: string; stand_in: boolean }>(
    `SELECT current_setting('server_version_num')::int / 10000 AS major, pg_get_userbyid(d.datdba)::text AS owner,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS stand_in
       FROM pg_database d WHERE d.datname = current_database()`,
    [options.databaseOwner ?? null],
  );
  const { major, owner, stand_in } = rows[0]!;
  const databaseOwner = options.databaseOwner !== undefined && stand_in ? options.databaseOwner : owner;
  const context: CollectContext = {
    client,
    major,
    roles: new RoleNames(new Set([databaseOwner])),
    digester: makeDigester(options.digestKey),
    options,
    sink: new Sink(),
  };
  return { context, databaseOwner };
}

/**
 * Which roles own or are granted something in this database. A role itself is cluster-wide (pg_dumpall
 * --roles-only, not the database's dump), so its attributes and memberships are listed as not comparable.
 */
function addRoles(sink: Sink): void {
  const owns = new Map<string, number>();
  const granted = new Map<string, number>();
  const count = (map: Map<string, number>, role: string) => map.set(role, (map.get(role) ?? 0) + 1);
  for (const { attributes } of sink.objectList()) {
    if (attributes.owner !== undefined) count(owns, attributes.owner);
    for (const key of Object.keys(attributes)) if (key.startsWith('grant:')) count(granted, key.slice(6));
  }
  for (const role of new Set([...owns.keys(), ...granted.keys()])) {
    if (role === 'PUBLIC') continue;
    sink.add('role', role, { owns: owns.get(role)?.toString(), 'granted on': granted.get(role)?.toString() });
  }
  sink.notComparable(
    'role definitions',
    'all roles',
    `roles, their attributes and memberships are the cluster's, not the database's (pg_dumpall --roles-only); ` +
      `what each role owns and is granted here is compared, ${DATABASE_OWNER} standing for the database's owner`,
  );
}

/** What this inventory does not record, listed when the database has any. */
async function collectUnrecorded(context: CollectContext): Promise<void> {
  const { rows } = await context.client.query<{ labels: string; transforms: string }>(
    `SELECT (SELECT count(*) FROM pg_seclabel)::text AS labels,
            (SELECT count(*) FROM pg_transform WHERE oid >= 16384)::text AS transforms`,
  );
  const { labels, transforms } = rows[0]!;
  if (labels !== '0') {
    context.sink.notComparable('security labels', `${labels} labels`, 'security labels are not recorded');
  }
  if (transforms !== '0') {
    context.sink.notComparable('transforms', `${transforms} transforms`, 'transforms are not recorded');
  }
}
