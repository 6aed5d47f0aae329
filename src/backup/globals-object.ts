import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Globals, ManifestGlobals } from '../shared/globals.js';
import type { BackupKeys } from '../storage/object-layout.js';
import { lockFields, lockFor } from '../storage/object-writes.js';
import { explainS3Error } from '../storage/s3-errors.js';
import { ensureLocked, inspectStored } from '../storage/stored-object.js';
import type { BackupContext } from './backup-context.js';
import { encryptionStage } from './dump-upload.js';

/**
 * Stores the globals beside the dump, encrypted as the dump is (a setting's value can be a secret), and returns
 * the manifest's record of it. It is small: one PUT, in the default storage class. Written after the dump and
 * before the manifest; a lock it was asked for is checked here, since the manifest is written the same way.
 */
export async function storeGlobals(
  context: BackupContext,
  keys: BackupKeys,
  globals: Globals,
): Promise<ManifestGlobals> {
  const { s3, inputs } = context;
  const plain = Buffer.from(`${JSON.stringify(globals, null, 2)}\n`, 'utf8');
  const body = await buffer(Readable.from([plain]).pipe(encryptionStage(inputs.encryption)));
  const lock = lockFor(inputs.storage.writes, keys.createdAt);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: inputs.storage.bucket,
        Key: keys.globals,
        Body: body,
        ContentType: 'application/octet-stream',
        ...lockFields(lock, body),
      }),
    );
  } catch (error) {
    throw new Error(
      `the roles and database settings could not be stored: ${explainS3Error(error, inputs.storage, `write ${keys.globals}`)}`,
      { cause: error },
    );
  }
  if (lock) {
    const stored = await inspectStored(s3, inputs.storage.bucket, keys.globals);
    await ensureLocked(s3, inputs.storage, keys.globals, stored, lock);
  }
  return {
    key: keys.globals,
    sizeBytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    ...(globals.warnings.length ? { warnings: [...globals.warnings] } : {}),
  };
}
