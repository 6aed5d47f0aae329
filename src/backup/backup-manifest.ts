import { PutObjectCommand } from '@aws-sdk/client-s3';
import { TOOL_NAME, TOOL_VERSION } from '../shared/constants.js';
import type { Inventory } from '../inventory/index.js';
import type { ManifestGlobals } from '../shared/globals.js';
import type { Encryption, Manifest } from '../shared/manifest.js';
import type { BackupKeys } from '../storage/object-layout.js';
import { lockFields, lockFor } from '../storage/object-writes.js';
import { explainS3Error } from '../storage/s3-errors.js';
import type { BackupContext, DumpOutcome } from './backup-context.js';
import type { EncryptionSettings } from './settings.js';

/** The manifest of a dump that is stored and checked (docs/contract.md). */
export function buildManifest(
  context: BackupContext,
  keys: BackupKeys,
  createdAt: Date,
  outcome: DumpOutcome & { readonly globals: ManifestGlobals; readonly inventory: Inventory | undefined },
  durationSeconds: number,
): Manifest {
  const { inputs } = context;
  const { storageClass } = inputs.storage.writes ?? {};
  const lock = lockFor(inputs.storage.writes, keys.createdAt);
  return {
    format: 1,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt: createdAt.toISOString(),
    database: inputs.database.database,
    server: {
      version: context.server.version,
      versionNum: context.server.versionNum,
      fullVersion: context.server.fullVersion,
    },
    client: { pgDump: context.client.version },
    dump: {
      format: 'custom',
      compression: context.compression,
      args: [...inputs.pgDumpArgs],
      snapshot: outcome.snapshot,
      dumpBytes: outcome.dumpBytes,
    },
    encryption: manifestEncryption(inputs.encryption),
    object: {
      key: keys.object,
      sizeBytes: outcome.sizeBytes,
      sha256: outcome.sha256,
      ...(storageClass ? { storageClass } : {}),
    },
    ...(lock ? { objectLock: { mode: lock.mode, retainUntil: lock.retainUntil.toISOString() } } : {}),
    globals: outcome.globals,
    ...(outcome.inventory ? { inventory: outcome.inventory } : {}),
    durationSeconds: Number(durationSeconds.toFixed(3)),
    rowCounts: {
      mode: inputs.rowCounts,
      tables: outcome.counts.tables,
      ...(outcome.counts.largeObjects === undefined ? {} : { largeObjects: outcome.counts.largeObjects }),
    },
  };
}

function manifestEncryption(encryption: EncryptionSettings): Encryption {
  switch (encryption.type) {
    case 'age':
      return {
        type: 'age',
        recipients: [...encryption.recipientKeys],
        recipientTypes: encryption.recipients.map((recipient) =>
          recipient.type === 'X25519' ? 'x25519' : recipient.type,
        ),
      };
    case 'passphrase':
      return { type: 'passphrase' };
    case 'none':
      return { type: 'none' };
  }
}

/**
 * Writes the manifest, the last object of a backup: without it the dump is not a backup. It stays in the default
 * storage class, so that listing backups and reading `latest` stay fast, and is locked as the dump is.
 */
export async function writeManifest(
  context: BackupContext,
  keys: BackupKeys,
  manifest: Manifest,
): Promise<void> {
  const { s3, inputs } = context;
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: inputs.storage.bucket,
        Key: keys.manifest,
        Body: body,
        ContentType: 'application/json',
        ...lockFields(lockFor(inputs.storage.writes, keys.createdAt), body),
      }),
    );
  } catch (error) {
    // The caller removes the object on this failure, as on any other.
    throw new Error(
      `the manifest could not be written, so the backup was removed: ${explainS3Error(error, inputs.storage, `write ${keys.manifest}`)}`,
      { cause: error },
    );
  }
}
