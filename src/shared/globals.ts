/**
 * What a logical dump of one database leaves out and a disaster-recovery restore needs back: the roles the
 * cluster has (as `pg_dumpall --roles-only --no-role-passwords` prints them) and the database's own properties,
 * which pg_dump writes only with `--create` (settings, comment, privileges, role settings in the database).
 * Stored beside the dump as `<base>.globals.json[.age]`, encrypted like it (setting values can be secrets),
 * listed in the manifest's optional `globals` field (docs/contract.md).
 */

export const GLOBALS_FORMAT = 1;

export interface Globals {
  readonly format: typeof GLOBALS_FORMAT;
  /** pg_dumpall's output, or undefined when it could not run (the reason is in `warnings`). */
  readonly rolesSql?: string;
  /** Undefined when the catalogs could not be read (the reason is in `warnings`). */
  readonly database?: DatabaseProperties;
  /**
   * The key of the manifest inventory's digests (HMAC-SHA-256): kept here, encrypted, so that a short setting
   * value cannot be guessed from the plaintext manifest by hashing candidates.
   */
  readonly inventoryDigestKey?: string;
  /** What could not be read, as the manifest's `globals.warnings` also says. */
  readonly warnings: readonly string[];
}

export interface DatabaseProperties {
  /** The source database's name and owner, for the record and for `ALTER DATABASE … OWNER` on restore. */
  readonly name: string;
  readonly owner: string;
  /** `name=value` items of `ALTER DATABASE … SET` (pg_db_role_setting.setconfig for no role). */
  readonly settings: readonly string[];
  /** `ALTER ROLE … IN DATABASE … SET` items, per role. */
  readonly roleSettings: readonly { readonly role: string; readonly settings: readonly string[] }[];
  readonly comment: string | null;
  /** The database's ACL as aclitem texts (`grantee=privileges/grantor`), or null for the default privileges. */
  readonly acl: readonly string[] | null;
}

/** The manifest's record of the stored globals object. */
export interface ManifestGlobals {
  readonly key: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly warnings?: readonly string[];
}
