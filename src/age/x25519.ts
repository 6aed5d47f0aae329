/** The native X25519 recipient type: wrapping the file key to a public key, and unwrapping it with a secret key. */
import { diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bech32Encode } from './bech32.js';
import { AgeError } from './errors.js';
import type { Stanza } from './header.js';
import {
  FILE_KEY_LENGTH,
  TAG_LENGTH,
  decodeBase64,
  encodeBase64,
  hkdf,
  openWithZeroNonce,
  rawX25519PrivateKey,
  rawX25519PublicKey,
  sealWithZeroNonce,
  x25519PrivateKeyObject,
  x25519PublicKeyObject,
} from './primitives.js';

export const RECIPIENT_HRP = 'age';
export const IDENTITY_HRP = 'AGE-SECRET-KEY-';
const STANZA_TYPE = 'X25519';
const WRAP_INFO = 'age-encryption.org/v1/X25519';
const KEY_LENGTH = 32;

/** X25519; all zeros for a low-order point, which the callers must refuse. */
export function x25519SharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL refuses to return the all-zero output of a low-order point.
    secret = Buffer.alloc(KEY_LENGTH);
  }
  return secret;
}

/** An age X25519 public key (`age1…`). */
export class X25519Recipient {
  readonly type = 'X25519';
  readonly publicKey: Buffer;
  readonly #keyObject: KeyObject;

  constructor(publicKey: Uint8Array) {
    if (publicKey.length !== KEY_LENGTH) throw new RangeError('an X25519 public key is 32 bytes');
    this.publicKey = Buffer.from(publicKey);
    this.#keyObject = x25519PublicKeyObject(this.publicKey);
  }

  /** The `age1…` encoding. */
  toString(): string {
    return bech32Encode(RECIPIENT_HRP, this.publicKey);
  }

  /** Wraps a file key into a fresh `-> X25519 <ephemeral share>` stanza. */
  wrap(fileKey: Uint8Array): Stanza {
    const ephemeral = generateKeyPairSync('x25519');
    const share = rawX25519PublicKey(ephemeral.publicKey);
    const secret = x25519SharedSecret(ephemeral.privateKey, this.#keyObject);
    if (secret.every((byte) => byte === 0)) {
      throw new AgeError('INVALID_KEY', `recipient ${this.toString()} is not a usable X25519 public key`);
    }
    const wrapKey = hkdf(secret, Buffer.concat([share, this.publicKey]), WRAP_INFO);
    return { args: [STANZA_TYPE, encodeBase64(share)], body: sealWithZeroNonce(wrapKey, fileKey) };
  }
}

/** An age X25519 secret key (`AGE-SECRET-KEY-1…`). The key material stays private to this object. */
export class X25519Identity {
  readonly type = 'X25519';
  readonly recipient: X25519Recipient;
  readonly #privateKey: KeyObject;

  constructor(secretKey: Uint8Array) {
    if (secretKey.length !== KEY_LENGTH) throw new RangeError('an X25519 secret key is 32 bytes');
    this.#privateKey = x25519PrivateKeyObject(secretKey);
    this.recipient = new X25519Recipient(rawX25519PublicKey(this.#privateKey));
  }

  /** The `AGE-SECRET-KEY-1…` encoding: secret, handle with care. */
  encodeSecretKey(): string {
    return bech32Encode(IDENTITY_HRP, rawX25519PrivateKey(this.#privateKey));
  }

  /**
   * Unwraps the file key from an X25519 stanza addressed to this identity. Returns null for stanzas of other
   * types or addressed to other keys; throws for malformed X25519 stanzas, as the spec requires.
   */
  unwrap(stanza: Stanza): Buffer | null {
    if (stanza.args[0] !== STANZA_TYPE) return null;
    const share = stanza.args.length === 2 ? decodeBase64(stanza.args[1]!) : null;
    if (share?.length !== KEY_LENGTH) {
      throw new AgeError(
        'MALFORMED_HEADER',
        'the file header is malformed: an X25519 stanza must have one argument, a 32-byte ephemeral share',
      );
    }
    if (stanza.body.length !== FILE_KEY_LENGTH + TAG_LENGTH) {
      throw new AgeError(
        'MALFORMED_HEADER',
        'the file header is malformed: an X25519 stanza body must be 32 bytes',
      );
    }
    const secret = x25519SharedSecret(this.#privateKey, x25519PublicKeyObject(share));
    if (secret.every((byte) => byte === 0)) {
      throw new AgeError(
        'MALFORMED_HEADER',
        'the file header is malformed: an X25519 stanza has a low-order ephemeral share',
      );
    }
    const wrapKey = hkdf(secret, Buffer.concat([share, this.recipient.publicKey]), WRAP_INFO);
    return openWithZeroNonce(wrapKey, stanza.body);
  }

  toString(): string {
    return `[age identity for ${this.recipient.toString()}]`;
  }
}
