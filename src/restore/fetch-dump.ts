import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AgeError, createDecryptStream } from '../age/index.js';
import { formatBytes } from '../backup/format.js';
import { MeasuringStream } from '../backup/stream-stages.js';
import type { Manifest } from '../backup/manifest.js';
import { Input } from '../constants.js';
import { InputError } from '../errors.js';
import type { DecryptionSettings } from '../inputs.js';
import type { S3Settings } from '../storage/s3-client.js';
import { explainS3Error } from '../storage/s3-errors.js';

/** The stored object does not match its manifest, or does not decrypt: it must not be restored. */
export class BackupIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupIntegrityError';
  }
}

/**
 * Downloads the backup object to `encryptedPath` while hashing it, checks size and SHA-256 against the manifest,
 * then decrypts it to `dumpPath`, which authenticates every chunk. Nothing reaches a database before both pass.
 */
export async function fetchVerifiedDump(
  s3: S3Client,
  settings: S3Settings,
  manifest: Manifest,
  decryption: DecryptionSettings,
  encryptedPath: string,
  dumpPath: string,
): Promise<void> {
  const decrypt = decryptStage(manifest, decryption); // wrong or missing keys fail before the download
  const key = manifest.object.key;
  let body: Readable;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
    body = object.Body as Readable;
  } catch (error) {
    throw new Error(explainS3Error(error, settings, `read ${key}`), { cause: error });
  }
  const measured = new MeasuringStream();
  await pipeline(body, measured, createWriteStream(encryptedPath)).catch((error: unknown) => {
    throw explainWriteFailure(error, encryptedPath, manifest);
  });
  if (measured.bytes !== manifest.object.sizeBytes || measured.sha256() !== manifest.object.sha256) {
    throw new BackupIntegrityError(
      `The backup ${key} does not match its manifest: ${measured.bytes} bytes with SHA-256 ${measured.sha256()}, ` +
        `but the manifest says ${manifest.object.sizeBytes} bytes with SHA-256 ${manifest.object.sha256}. ` +
        'The object is damaged, truncated or was replaced; it was not restored.',
    );
  }
  try {
    await pipeline(createReadStream(encryptedPath), decrypt, createWriteStream(dumpPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC')
      throw explainWriteFailure(error, dumpPath, manifest);
    if (error instanceof AgeError) {
      throw new BackupIntegrityError(
        `The backup ${key} could not be decrypted: ${error.message}. It was not restored.`,
      );
    }
    throw error;
  }
}

/** A full temp disk is named as such, with the room the restore needs. */
function explainWriteFailure(error: unknown, path: string, manifest: Manifest): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') return error;
  return new Error(
    `The runner's temp disk is full (writing ${path}): the restore needs room for the backup and its decrypted ` +
      `dump, about ${formatBytes(manifest.object.sizeBytes * 2)} or more. Free space in RUNNER_TEMP, or use a ` +
      'larger runner. Nothing was restored.',
    { cause: error },
  );
}

function decryptStage(manifest: Manifest, decryption: DecryptionSettings): Transform {
  const encryption = manifest.encryption;
  if (encryption.type === 'none') return new PassThrough();
  if (encryption.type === 'passphrase') {
    if (!decryption.passphrase) {
      throw new InputError(
        Input.Passphrase,
        'is empty, but this backup was encrypted with a passphrase: give it.',
      );
    }
    return createDecryptStream({ passphrase: decryption.passphrase });
  }
  if (!decryption.identities.length) {
    throw new InputError(
      Input.AgeIdentity,
      `is empty, but this backup is encrypted to age keys (${encryption.recipients.join(', ')}): give the secret key of one of them.`,
    );
  }
  const recipients = new Set(encryption.recipients);
  if (!decryption.identities.some((identity) => recipients.has(identity.recipient.toString()))) {
    throw new InputError(
      Input.AgeIdentity,
      `does not open this backup: it is encrypted to ${encryption.recipients.join(', ')}, and the given key's public ` +
        `key is ${decryption.identities.map((identity) => identity.recipient.toString()).join(', ')}.`,
    );
  }
  return createDecryptStream({ identities: decryption.identities });
}
