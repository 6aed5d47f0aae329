import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AgeError } from '../age/index.js';
import { GLOBALS_FORMAT, type Globals } from '../shared/globals.js';
import type { Manifest } from '../shared/manifest.js';
import type { S3Settings } from '../storage/s3-client.js';
import { explainS3Error } from '../storage/s3-errors.js';
import { BackupIntegrityError, decryptStage } from './fetch-dump.js';
import type { DecryptionSettings } from './settings.js';

/**
 * The backup's roles and database settings, checked against the manifest's size and SHA-256 and decrypted with
 * the dump's keys; undefined for a backup made before they were stored.
 */
export async function fetchGlobals(
  s3: S3Client,
  settings: S3Settings,
  manifest: Manifest,
  decryption: DecryptionSettings,
): Promise<Globals | undefined> {
  const record = manifest.globals;
  if (!record) return undefined;
  let stored: Buffer;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: record.key }));
    stored = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  } catch (error) {
    throw new Error(explainS3Error(error, settings, `read ${record.key}`), { cause: error });
  }
  const sha256 = createHash('sha256').update(stored).digest('hex');
  if (stored.length !== record.sizeBytes || sha256 !== record.sha256) {
    throw new BackupIntegrityError(
      `The backup's roles and settings ${record.key} do not match its manifest: ${stored.length} bytes with ` +
        `SHA-256 ${sha256}, but the manifest says ${record.sizeBytes} bytes with SHA-256 ${record.sha256}. ` +
        'The object is damaged or was replaced; nothing was restored.',
    );
  }
  let plain: Buffer;
  try {
    plain = await buffer(Readable.from([stored]).pipe(decryptStage(manifest, decryption)));
  } catch (error) {
    if (!(error instanceof AgeError)) throw error;
    throw new BackupIntegrityError(`${record.key} could not be decrypted: ${error.message}.`);
  }
  return parseGlobals(record.key, plain.toString('utf8'));
}

function parseGlobals(key: string, text: string): Globals {
  let data: Partial<Globals>;
  try {
    data = JSON.parse(text) as Partial<Globals>;
  } catch {
    throw new BackupIntegrityError(`${key} is not valid JSON: it is damaged.`);
  }
  if (data.format !== GLOBALS_FORMAT) {
    throw new BackupIntegrityError(
      `${key} has format ${JSON.stringify(data.format)}, which this version does not know (it reads ` +
        `${GLOBALS_FORMAT}): use a newer release of the action, or ownership: none.`,
    );
  }
  return { format: GLOBALS_FORMAT, warnings: [], ...data };
}
