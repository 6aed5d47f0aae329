/**
 * The native post-quantum recipient type of age 1.3 (`mlkem768x25519`): the file key sealed with HPKE to an
 * MLKEM768-X25519 public key (`age1pq1…`), opened with its 32-byte seed (`AGE-SECRET-KEY-PQ-1…`).
 */
import { bech32Encode } from './bech32.js';
import { AgeError } from './errors.js';
import type { Stanza } from './header.js';
import { hpkeOpen, hpkeSeal } from './hpke.js';
import { DEFAULT_MLKEM, type MlKem768 } from './mlkem.js';
import { FILE_KEY_LENGTH, TAG_LENGTH, decodeBase64, encodeBase64 } from './primitives.js';
import {
  LowOrderShareError,
  XWING_CIPHERTEXT_LENGTH,
  XWING_KEM_ID,
  XWING_PUBLIC_KEY_LENGTH,
  XWingKeyPair,
  xwingEncapsulate,
} from './xwing.js';

export const HYBRID_RECIPIENT_HRP = 'age1pq';
export const HYBRID_IDENTITY_HRP = 'AGE-SECRET-KEY-PQ-';
export const HYBRID_STANZA_TYPE = 'mlkem768x25519';
const INFO = 'age-encryption.org/mlkem768x25519';

function malformed(detail: string): AgeError {
  return new AgeError('MALFORMED_HEADER', `the file header is malformed: ${detail}`);
}

/** An age hybrid post-quantum public key (`age1pq1…`). */
export class HybridRecipient {
  readonly type = HYBRID_STANZA_TYPE;
  readonly publicKey: Buffer;
  readonly #kem: MlKem768;

  constructor(publicKey: Uint8Array, kem: MlKem768 = DEFAULT_MLKEM) {
    if (publicKey.length !== XWING_PUBLIC_KEY_LENGTH) {
      throw new RangeError(`a hybrid public key is ${XWING_PUBLIC_KEY_LENGTH} bytes`);
    }
    this.publicKey = Buffer.from(publicKey);
    this.#kem = kem;
  }

  /** The `age1pq1…` encoding. */
  toString(): string {
    return bech32Encode(HYBRID_RECIPIENT_HRP, this.publicKey);
  }

  /** Wraps a file key into a fresh `-> mlkem768x25519 <encapsulated key>` stanza. */
  wrap(fileKey: Uint8Array): Stanza {
    let encapsulated: ReturnType<typeof xwingEncapsulate>;
    try {
      encapsulated = xwingEncapsulate(this.publicKey, this.#kem);
    } catch (error) {
      if (!(error instanceof LowOrderShareError)) throw error;
      throw new AgeError(
        'INVALID_KEY',
        'a hybrid recipient is not usable: its X25519 part is a low-order point',
      );
    }
    return {
      args: [HYBRID_STANZA_TYPE, encodeBase64(encapsulated.ciphertext)],
      body: hpkeSeal(XWING_KEM_ID, encapsulated.sharedSecret, INFO, fileKey),
    };
  }
}

/** An age hybrid post-quantum secret key (`AGE-SECRET-KEY-PQ-1…`). The seed stays private to this object. */
export class HybridIdentity {
  readonly type = HYBRID_STANZA_TYPE;
  readonly recipient: HybridRecipient;
  readonly #seed: Buffer;
  readonly #keys: XWingKeyPair;

  constructor(seed: Uint8Array, kem: MlKem768 = DEFAULT_MLKEM) {
    this.#keys = new XWingKeyPair(seed, kem);
    this.#seed = Buffer.from(seed);
    this.recipient = new HybridRecipient(this.#keys.publicKey, kem);
  }

  /** The `AGE-SECRET-KEY-PQ-1…` encoding: secret, handle with care. */
  encodeSecretKey(): string {
    return bech32Encode(HYBRID_IDENTITY_HRP, this.#seed);
  }

  /**
   * Unwraps the file key from an mlkem768x25519 stanza addressed to this identity. Returns null for stanzas of
   * other types or addressed to other keys; throws for malformed ones, as the spec requires.
   */
  unwrap(stanza: Stanza): Buffer | null {
    if (stanza.args[0] !== HYBRID_STANZA_TYPE) return null;
    const encapsulated = stanza.args.length === 2 ? decodeBase64(stanza.args[1]!) : null;
    if (encapsulated?.length !== XWING_CIPHERTEXT_LENGTH) {
      throw malformed(
        `an mlkem768x25519 stanza must have one argument, a ${XWING_CIPHERTEXT_LENGTH}-byte encapsulated key in canonical base64`,
      );
    }
    // Checked before any decryption, so that no key can be tried on bodies of other lengths.
    if (stanza.body.length !== FILE_KEY_LENGTH + TAG_LENGTH) {
      throw malformed('an mlkem768x25519 stanza body must be 32 bytes');
    }
    let sharedSecret: Buffer;
    try {
      sharedSecret = this.#keys.decapsulate(encapsulated);
    } catch (error) {
      if (!(error instanceof LowOrderShareError)) throw error;
      throw malformed('an mlkem768x25519 stanza has a low-order X25519 share');
    }
    return hpkeOpen(XWING_KEM_ID, sharedSecret, INFO, stanza.body);
  }

  toString(): string {
    return `[age hybrid identity for ${this.recipient.toString()}]`;
  }
}
