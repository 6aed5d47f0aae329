import { createWriteStream } from 'node:fs';
import { PassThrough, type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AgeError, createDecryptStream, shortRecipient } from '../age/index.js';
import { formatBytes } from '../shared/format.js';
import { MeasuringStream } from '../shared/stream-stages.js';
import type { Manifest } from '../shared/manifest.js';
import { Input } from '../shared/constants.js';
import { errorMessage, InputError } from '../shared/errors.js';
import type { DecryptionSettings } from './settings.js';
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
 * Downloads the backup object in one pass: its bytes go through SHA-256 and, at the same time, through age
 * decryption (which authenticates every chunk) into `dumpPath`. Size and SHA-256 must match the manifest and
 * decryption must succeed before this returns; the caller touches no database before that. When decryption fails
 * part-way, the rest of the object still goes through the hash, so a damaged or replaced object is reported as not
 * matching its manifest, the clearer cause.
 */
export async function fetchVerifiedDump(
  s3: S3Client,
  settings: S3Settings,
  manifest: Manifest,
  decryption: DecryptionSettings,
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
  // A 1 MiB buffer lets the file stream write several decrypted chunks per call (writev) instead of one 64 KiB
  // chunk per round trip to the thread pool, which the bench measured faster (docs/performance.md).
  const decrypted = pipeline(decrypt, createWriteStream(dumpPath, { highWaterMark: 1024 * 1024 })).then(
    () => undefined,
    (error: unknown) => error,
  );
  const measured = new MeasuringStream();
  await pipeline(body, measured, forwardUntilFailure(decrypt));
  const decryptFailure = await decrypted;

  if (measured.bytes !== manifest.object.sizeBytes || measured.sha256() !== manifest.object.sha256) {
    throw new BackupIntegrityError(
      `The backup ${key} does not match its manifest: ${measured.bytes} bytes with SHA-256 ${measured.sha256()}, ` +
        `but the manifest says ${manifest.object.sizeBytes} bytes with SHA-256 ${manifest.object.sha256}. ` +
        'The object is damaged, truncated or was replaced; it was not restored.',
    );
  }
  if (decryptFailure === undefined) return;
  if ((decryptFailure as NodeJS.ErrnoException).code === 'ENOSPC') {
    throw explainWriteFailure(decryptFailure, dumpPath, manifest);
  }
  if (decryptFailure instanceof AgeError) {
    throw new BackupIntegrityError(
      `The backup ${key} could not be decrypted: ${decryptFailure.message}. It was not restored.`,
    );
  }
  throw decryptFailure instanceof Error ? decryptFailure : new Error(errorMessage(decryptFailure));
}

/** How much may wait in the decryption stage ahead of it (see forwardUntilFailure). */
const FORWARD_BUFFER_BYTES = 1024 * 1024;

/**
 * A sink that feeds `target` with backpressure, and once `target` has failed keeps accepting (and dropping) data,
 * so the stream before it runs to its end.
 */
function forwardUntilFailure(target: Transform): Writable {
  let failed = false;
  let waiting: (() => void) | undefined;
  target.on('error', () => {
    failed = true;
    waiting?.();
  });
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // Up to FORWARD_BUFFER_BYTES may wait in `target`: with its default 16 KiB, every 64 KiB chunk from the
      // network would wait for decryption before the next is read.
      if (failed || target.write(chunk) || target.writableLength < FORWARD_BUFFER_BYTES) {
        callback();
        return;
      }
      waiting = () => {
        waiting = undefined;
        callback();
      };
      target.once('drain', () => waiting?.());
    },
    final(callback) {
      if (!failed) target.end();
      callback();
    },
  });
}

/** A full temp disk is named as such, with the room the restore needs. */
function explainWriteFailure(error: unknown, path: string, manifest: Manifest): Error {
  return new Error(
    `The runner's temp disk is full (writing ${path}): the restore needs room for the decrypted dump, about ` +
      `${formatBytes(manifest.object.sizeBytes)} or more. Free space in RUNNER_TEMP, or use a ` +
      'larger runner. Nothing was restored.',
    { cause: error },
  );
}

/** The decryption a backup of `manifest` needs; wrong or missing keys fail here, before anything is downloaded. */
export function decryptStage(manifest: Manifest, decryption: DecryptionSettings): Transform {
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
      `is empty, but this backup is encrypted to age keys (${encryption.recipients.map(shortRecipient).join(', ')}): give the secret key of one of them.`,
    );
  }
  const recipients = new Set(encryption.recipients);
  if (!decryption.identities.some((identity) => recipients.has(identity.recipient.toString()))) {
    // Post-quantum public keys are long: they are named by their two ends, as the key file's comment shows them.
    const given = decryption.identities.map((identity) => shortRecipient(identity.recipient.toString()));
    throw new InputError(
      Input.AgeIdentity,
      `does not open this backup: it is encrypted to ${encryption.recipients.map(shortRecipient).join(', ')}, and ` +
        `the given key's public key is ${given.join(', ')}.`,
    );
  }
  return createDecryptStream({ identities: decryption.identities });
}
