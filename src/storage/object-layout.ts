/**
 * Where backups live in the bucket (docs/contract.md):
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.dump.age       (".dump" when encryption is off)
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.globals.json.age  roles and database settings (".globals.json")
 *   <prefix>/<database>/<YYYY-MM-DDTHH-MM-SSZ>.manifest.json  written last
 */

export const MANIFEST_SUFFIX = '.manifest.json';

export function databaseFolder(prefix: string, database: string): string {
  return `${joinPrefix(prefix)}${database}/`;
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
