import type { S3Client } from '@aws-sdk/client-s3';
import type { PgClient } from '../installer/pg-client.js';
import type { ServerVersion } from '../postgres/server-version.js';
import type { Manifest } from '../shared/manifest.js';
import type { BackupKeys } from '../storage/object-layout.js';
import type { BackupSettings } from './settings.js';
import type { DumpSequences } from './dump-contents.js';
import type { RowCounts } from './snapshot-session.js';

/** What one backup run works with, once the server's version and its client are known. */
export interface BackupContext {
  readonly inputs: BackupSettings;
  readonly s3: S3Client;
  readonly server: ServerVersion;
  readonly client: PgClient;
  /** The resolved `--compress` value for this client. */
  readonly compression: string;
}

/** What the dump and its upload produced: the stored object's size and hash, and the rows counted. */
export interface DumpOutcome {
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly dumpBytes: number;
  readonly counts: RowCounts;
  /** The values the dump's sequences restore to, read from its table of contents. */
  readonly sequences: DumpSequences;
  /** Whether pg_dump ran in the exported snapshot, and why not where it did not. */
  readonly snapshot: { readonly shared: true } | { readonly shared: false; readonly reason: string };
}

/** A stored backup: its keys and the manifest that makes it one. */
export interface BackupResult {
  readonly keys: BackupKeys;
  readonly manifest: Manifest;
}
