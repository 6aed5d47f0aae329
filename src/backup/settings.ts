import type { Recipient } from '../age/index.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import type { RowCountMode } from '../shared/manifest.js';
import type { S3Settings } from '../storage/s3-client.js';

/** How the backup is encrypted: to age public keys (the default), with a passphrase, or explicitly not at all. */
export type EncryptionSettings =
  | {
      readonly type: 'age';
      readonly recipients: readonly Recipient[];
      readonly recipientKeys: readonly string[];
    }
  | { readonly type: 'passphrase'; readonly passphrase: string }
  | { readonly type: 'none' };

/** What a backup needs to know, built from the inputs by inputs.ts. */
export interface BackupSettings {
  readonly database: ConnectionTarget;
  readonly storage: S3Settings;
  readonly encryption: EncryptionSettings;
  /** The `compression` input, syntax-checked; resolved against the client's major once it is known. */
  readonly compression: string;
  readonly rowCounts: RowCountMode;
  readonly pgDumpArgs: readonly string[];
}

/**
 * Which databases a backup run covers: the database of each `database-url` line, or databases named on the server
 * of the one `database-url` (`databases`, where `all` is resolved against the server when the run starts).
 */
export type DatabaseSelection =
  | { readonly kind: 'urls'; readonly targets: readonly ConnectionTarget[] }
  | {
      readonly kind: 'names';
      readonly server: ConnectionTarget;
      readonly names: readonly string[] | 'all';
      readonly exclude: readonly string[];
    };
