/** The manifest (format 1, docs/contract.md): written last, it is what makes a stored object a backup. */

export const MANIFEST_FORMAT = 1;

export interface TableRowCount {
  readonly schema: string;
  readonly table: string;
  /** Rows in the dump; null when the table's data is not in the dump (`excluded`) or unknown (estimate). */
  readonly rows: number | null;
  /** True when pg-dump-args left this table's data out of the dump. */
  readonly excluded?: boolean;
}

import type { ManifestGlobals } from './globals.js';

export type RowCountMode = 'exact' | 'estimate' | 'off';

/** age's name for a native recipient type, in lowercase: a classic X25519 key, or a post-quantum hybrid one. */
export type RecipientType = 'x25519' | 'mlkem768x25519';

export type Encryption =
  | {
      readonly type: 'age';
      readonly recipients: readonly string[];
      /** The type of each recipient, in the same order; absent in backups made before 0.3 (all X25519). */
      readonly recipientTypes?: readonly RecipientType[];
    }
  | { readonly type: 'passphrase' }
  | { readonly type: 'none' };

/** The encryption as a summary shows it: `age`, `age, post-quantum (mlkem768x25519)`, `passphrase` or `none`. */
export function describeEncryption(encryption: Encryption): string {
  const postQuantum = encryption.type === 'age' && encryption.recipientTypes?.includes('mlkem768x25519');
  return postQuantum ? 'age, post-quantum (mlkem768x25519)' : encryption.type;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly tool: { readonly name: string; readonly version: string };
  readonly createdAt: string;
  readonly database: string;
  readonly server: {
    readonly version: string;
    readonly versionNum: number;
    /** `server_version` whole, naming the build (`15.20 (Debian 15.20-0+deb12u1)`); absent before 0.3. */
    readonly fullVersion?: string;
  };
  readonly client: { readonly pgDump: string };
  readonly dump: {
    readonly format: 'custom';
    readonly compression: string;
    readonly args: readonly string[];
    /** Whether pg_dump and the row counts shared one exported snapshot, and why not when they did not. */
    readonly snapshot: { readonly shared: boolean; readonly reason?: string };
    /** Bytes pg_dump wrote, before encryption. */
    readonly dumpBytes: number;
  };
  readonly encryption: Encryption;
  readonly object: {
    readonly key: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    /** The dump's storage class (`storage-class`); absent: the store's default, and in backups before 0.3. */
    readonly storageClass?: string;
  };
  /**
   * The S3 Object Lock retention that the dump, its globals and this manifest carry (`object-lock-days`); absent
   * when the backup was not locked. `retainUntil` is an ISO 8601 time: createdAt plus the days.
   */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly retainUntil: string };
  /** The roles and database settings stored beside the dump; absent in backups made before 0.3. */
  readonly globals?: ManifestGlobals;
  /**
   * The schema inventory taken in the dump's snapshot (src/inventory/inventory.ts writes and reads it), which a
   * drill compares the restored database with; absent in backups made before 0.3.
   */
  readonly inventory?: { readonly format: number };
  readonly durationSeconds: number;
  readonly rowCounts: {
    readonly mode: RowCountMode;
    readonly tables: readonly TableRowCount[];
    /** Large objects in the dump (exact mode), which live outside any table. */
    readonly largeObjects?: number;
  };
}
