/**
 * The cryptographic building blocks of age v1, all from node:crypto: HKDF-SHA-256, HMAC-SHA-256, one-shot
 * ChaCha20-Poly1305 (for wrapping the file key), X25519 with raw 32-byte keys, scrypt, SHA3-256 and SHAKE256.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  scrypt,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

export const TAG_LENGTH = 16;
export const FILE_KEY_LENGTH = 16;
const ZERO_NONCE = Buffer.alloc(12);

// DER prefixes of X25519 keys (OID 1.3.101.110): SubjectPublicKeyInfo and PKCS #8, each followed by the raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha3256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha3-256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function shake256(data: Uint8Array, outputLength: number): Buffer {
  return createHash('shake256', { outputLength }).update(data).digest();
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** ChaCha20-Poly1305: the ciphertext and the tag, as two buffers so that nothing is copied to join them. */
export function sealChaCha20Poly1305(
  key: Uint8Array | KeyObject,
  nonce: Uint8Array,
  plaintext: Uint8Array,
): [Buffer, Buffer] {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return [ciphertext, cipher.getAuthTag()];
}

/** The plaintext of `sealed` (ciphertext then tag), or null when it does not authenticate. */
export function openChaCha20Poly1305(
  key: Uint8Array | KeyObject,
  nonce: Uint8Array,
  sealed: Uint8Array,
): Buffer | null {
  if (sealed.length < TAG_LENGTH) return null;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}

/** ChaCha20-Poly1305 with an all-zero nonce, as age uses for wrapping a file key under a single-use key. */
export function sealWithZeroNonce(key: Uint8Array, plaintext: Uint8Array): Buffer {
  return Buffer.concat(sealChaCha20Poly1305(key, ZERO_NONCE, plaintext));
}

/** The inverse of {@link sealWithZeroNonce}; null when authentication fails. */
export function openWithZeroNonce(key: Uint8Array, sealed: Uint8Array): Buffer | null {
  return openChaCha20Poly1305(key, ZERO_NONCE, sealed);
}

export function x25519PublicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function x25519PrivateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function rawX25519PublicKey(key: KeyObject): Buffer {
  const der =
    key.type === 'private'
      ? createPublicKey(key).export({ format: 'der', type: 'spki' })
      : key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function rawX25519PrivateKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return der.subarray(der.length - 32);
}

/** scrypt with r = 8, p = 1 and a 32-byte output, off the main thread, with room for N = 2^logN. */
export function scryptKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  const maxmem = 2 * 128 * 8 * N + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { N, r: 8, p: 1, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;

/** Standard base64 without padding, as everywhere in the age header. */
export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

/** Decodes unpadded standard base64, or returns null unless the text is the canonical encoding. */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64_CHARS.test(text) || text.length % 4 === 1) return null;
  const data = Buffer.from(text, 'base64');
  return encodeBase64(data) === text ? data : null;
}
