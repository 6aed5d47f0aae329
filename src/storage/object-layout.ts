/**
 * Where backups live in the bucket (docs/contract.md):
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.dump.age       (".dump" when encryption is off)
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.globals.json.age  roles and database settings (".globals.json")
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.manifest.json  written last
 */

export const MANIFEST_SUFFIX = '.manifest.json';

/**
 * `<prefix>/<database>/`. A database's name is data from the server: one that is not a single folder segment
 * (`app/x`, `..`, empty) would put its backups inside another database's folder, where `latest` and retention
 * would take them for that database's, so it is refused.
 */
export function databaseFolder(prefix: string, database: string): string {
  if (database === '' || database === '.' || database === '..' || database.includes('/')) {
    throw new Error(
      `The database name ${JSON.stringify(database)} cannot be a folder of the bucket: ` +
        (database.includes('/')
          ? `its "/" would put its backups inside the folder of database ${JSON.stringify(database.split('/')[0])}. `
          : 'it is not a folder name. ') +
        'Rename the database, or leave it out (exclude-databases).',
    );
  }
  return `${joinPrefix(prefix)}${database}/`;
}

/** `<YYYY-MM-DDTHH-MM-SSZ>` and a suffix of the layout, directly in a database's folder. */
const BACKUP_NAME =
  /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(\.dump\.age|\.dump|\.globals\.json\.age|\.globals\.json|\.manifest\.json)$/;

/**
 * A key's name within its database's folder as the layout writes it, with its time and suffix; undefined for any
 * other name, and for anything in a subfolder.
 */
export function parseBackupName(name: string): { createdAt: Date; suffix: string } | undefined {
  const match = BACKUP_NAME.exec(name);
  if (!match) return undefined;
  const [, timestamp, suffix] = match;
  const createdAt = new Date(timestamp!.replace(/T(\d\d)-(\d\d)-(\d\d)Z$/, 'T$1:$2:$3Z'));
  // Only the exact form the backup writes: no month 13, no 31 February.
  if (Number.isNaN(createdAt.getTime()) || timestampName(createdAt) !== timestamp) return undefined;
  return { createdAt, suffix: suffix! };
}

/** `2026-11-21T03:15:00.123Z` → `2026-11-21T03-15-00Z`. */
export function timestampName(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

export interface BackupKeys {
  /** The backup's time, which its keys are named after: its age for retention, the start of its lock. */
  readonly createdAt: Date;
  readonly object: string;
  /** Roles and the database's own settings (shared/globals.ts), written before the manifest. */
  readonly globals: string;
  readonly manifest: string;
}

export function backupKeys(
  prefix: string,
  database: string,
  createdAt: Date,
  encrypted: boolean,
): BackupKeys {
  const base = `${databaseFolder(prefix, database)}${timestampName(createdAt)}`;
  const age = encrypted ? '.age' : '';
  return {
    createdAt,
    object: `${base}.dump${age}`,
    globals: `${base}.globals.json${age}`,
    manifest: `${base}${MANIFEST_SUFFIX}`,
  };
}

/** The prefix with exactly one trailing slash, or '' for the bucket root. */
export function joinPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}
