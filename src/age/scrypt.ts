/** The native scrypt (passphrase) recipient type. */
import { randomBytes } from 'node:crypto';
import { AgeError } from './errors.js';
import type { Stanza } from './header.js';
import {
  FILE_KEY_LENGTH,
  TAG_LENGTH,
  decodeBase64,
  encodeBase64,
  openWithZeroNonce,
  scryptKey,
  sealWithZeroNonce,
} from './primitives.js';

export const SCRYPT_STANZA_TYPE = 'scrypt';
const SALT_LABEL = 'age-encryption.org/v1/scrypt';
const SALT_LENGTH = 16;
/** The work factor (log2 N) the age CLI uses when encrypting. */
export const DEFAULT_WORK_FACTOR = 18;
/** The highest work factor decryption accepts unless told otherwise; the age CLI has the same limit. */
export const DEFAULT_MAX_WORK_FACTOR = 22;

function saltFor(salt: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(SALT_LABEL, 'latin1'), salt]);
}

export async function wrapWithPassphrase(
  passphrase: string,
  fileKey: Uint8Array,
  workFactor: number,
): Promise<Stanza> {
  const salt = randomBytes(SALT_LENGTH);
  const wrapKey = await scryptKey(passphrase, saltFor(salt), workFactor);
  return {
    args: [SCRYPT_STANZA_TYPE, encodeBase64(salt), String(workFactor)],
    body: sealWithZeroNonce(wrapKey, fileKey),
  };
}

function malformed(detail: string): AgeError {
  return new AgeError('MALFORMED_HEADER', `the file header is malformed: ${detail}`);
}

/** Unwraps the file key from the header's only stanza, which must be an scrypt stanza. */
export async function unwrapWithPassphrase(
  passphrase: string,
  stanzas: readonly Stanza[],
  maxWorkFactor: number,
): Promise<Buffer> {
  const stanza = stanzas[0];
  if (stanza?.args[0] !== SCRYPT_STANZA_TYPE) {
    throw new AgeError(
      'NOT_PASSPHRASE_FILE',
      'this file was encrypted to public keys (recipients), not with a passphrase: decrypt it with an identity (AGE-SECRET-KEY-1…)',
    );
  }
  if (stanzas.length !== 1) throw malformed('an scrypt stanza must be the only stanza');
  if (stanza.args.length !== 3)
    throw malformed('an scrypt stanza must have two arguments, a salt and a work factor');
  const salt = decodeBase64(stanza.args[1]!);
  if (salt?.length !== SALT_LENGTH) throw malformed('the scrypt salt must be 16 bytes of canonical base64');
  const workFactorText = stanza.args[2]!;
  if (!/^[1-9][0-9]*$/.test(workFactorText))
    throw malformed('the scrypt work factor must be a decimal number');
  const workFactor = Number(workFactorText);
  if (workFactor > maxWorkFactor) {
    throw new AgeError(
      'WORK_FACTOR_TOO_HIGH',
      `the file's scrypt work factor 2^${workFactorText} is above the limit of 2^${maxWorkFactor}: ` +
        'decrypting it would take too much time and memory (raise maxWorkFactor if you trust the file)',
    );
  }
  if (stanza.body.length !== FILE_KEY_LENGTH + TAG_LENGTH)
    throw malformed('an scrypt stanza body must be 32 bytes');
  const wrapKey = await scryptKey(passphrase, saltFor(salt), workFactor);
  const fileKey = openWithZeroNonce(wrapKey, stanza.body);
  if (fileKey === null) {
    throw new AgeError(
      'WRONG_PASSPHRASE',
      'wrong passphrase: it does not decrypt this file (or its header is damaged)',
    );
  }
  return fileKey;
}
