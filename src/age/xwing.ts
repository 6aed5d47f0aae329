/**
 * The MLKEM768-X25519 hybrid KEM (X-Wing, as draft-ietf-hpke-pq and filippo.io/hpke-pq specify it): one 32-byte
 * seed expands with SHAKE256 into an ML-KEM-768 seed and an X25519 secret key; the public key and the
 * ciphertext are the ML-KEM one followed by the X25519 one; the shared secret is SHA3-256 over both shared
 * secrets, the X25519 ciphertext and public key, and a fixed label. Breaking it takes breaking both.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  DEFAULT_MLKEM,
  MLKEM_CIPHERTEXT_LENGTH,
  MLKEM_PUBLIC_KEY_LENGTH,
  MLKEM_SEED_LENGTH,
  type MlKem768,
  type MlKemKeyPair,
} from './mlkem.js';
import {
  rawX25519PublicKey,
  sha3256,
  shake256,
  x25519PrivateKeyObject,
  x25519PublicKeyObject,
} from './primitives.js';
import { x25519SharedSecret } from './x25519.js';

/** The KEM's identifier in HPKE's suite ID. */
export const XWING_KEM_ID = 0x647a;
export const XWING_SEED_LENGTH = 32;
export const XWING_PUBLIC_KEY_LENGTH = MLKEM_PUBLIC_KEY_LENGTH + 32;
export const XWING_CIPHERTEXT_LENGTH = MLKEM_CIPHERTEXT_LENGTH + 32;
const X25519_SECRET_LENGTH = 32;
// The combiner's label: the six ASCII characters \./ then /^\.
const LABEL = Buffer.from('5c2e2f2f5e5c', 'hex');

/** A shared secret whose X25519 half is all zeros: the peer's share or key was a low-order point. */
export class LowOrderShareError extends Error {
  constructor() {
    super('the X25519 part is a low-order point');
    this.name = 'LowOrderShareError';
  }
}

function combine(
  mlkemSecret: Buffer,
  x25519Secret: Buffer,
  x25519Ciphertext: Buffer,
  x25519Public: Buffer,
): Buffer {
  if (x25519Secret.every((byte) => byte === 0)) throw new LowOrderShareError();
  return sha3256(mlkemSecret, x25519Secret, x25519Ciphertext, x25519Public, LABEL);
}

/** The decapsulation side, derived once from the seed. */
export class XWingKeyPair {
  readonly publicKey: Buffer;
  readonly #mlkem: MlKemKeyPair;
  readonly #x25519: KeyObject;
  readonly #x25519Public: Buffer;

  constructor(seed: Uint8Array, kem: MlKem768 = DEFAULT_MLKEM) {
    if (seed.length !== XWING_SEED_LENGTH) throw new RangeError('a hybrid secret key is 32 bytes');
    const expanded = shake256(seed, MLKEM_SEED_LENGTH + X25519_SECRET_LENGTH);
    this.#mlkem = kem.keyPair(expanded.subarray(0, MLKEM_SEED_LENGTH));
    this.#x25519 = x25519PrivateKeyObject(expanded.subarray(MLKEM_SEED_LENGTH));
    this.#x25519Public = rawX25519PublicKey(this.#x25519);
    this.publicKey = Buffer.concat([this.#mlkem.publicKey, this.#x25519Public]);
  }

  /** The shared secret of a ciphertext of the right length; throws LowOrderShareError. */
  decapsulate(ciphertext: Buffer): Buffer {
    const mlkemCiphertext = ciphertext.subarray(0, MLKEM_CIPHERTEXT_LENGTH);
    const x25519Ciphertext = ciphertext.subarray(MLKEM_CIPHERTEXT_LENGTH);
    const x25519Secret = x25519SharedSecret(this.#x25519, x25519PublicKeyObject(x25519Ciphertext));
    return combine(
      this.#mlkem.decapsulate(mlkemCiphertext),
      x25519Secret,
      x25519Ciphertext,
      this.#x25519Public,
    );
  }
}

/** A fresh ciphertext and shared secret for a public key; throws LowOrderShareError. */
export function xwingEncapsulate(
  publicKey: Buffer,
  kem: MlKem768 = DEFAULT_MLKEM,
): { ciphertext: Buffer; sharedSecret: Buffer } {
  const mlkem = kem.encapsulate(publicKey.subarray(0, MLKEM_PUBLIC_KEY_LENGTH));
  const x25519Public = publicKey.subarray(MLKEM_PUBLIC_KEY_LENGTH);
  const ephemeral = generateKeyPairSync('x25519');
  const x25519Ciphertext = rawX25519PublicKey(ephemeral.publicKey);
  const x25519Secret = x25519SharedSecret(ephemeral.privateKey, x25519PublicKeyObject(x25519Public));
  return {
    ciphertext: Buffer.concat([mlkem.ciphertext, x25519Ciphertext]),
    sharedSecret: combine(mlkem.sharedSecret, x25519Secret, x25519Ciphertext, x25519Public),
  };
}
