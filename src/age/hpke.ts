/**
 * HPKE (RFC 9180) in base mode, single-shot, with HKDF-SHA256 and ChaCha20Poly1305: how age's hybrid stanza wraps
 * the file key once the KEM has produced a shared secret. Only the key schedule lives here; the KEM is the
 * caller's, and one message is sealed per context, so its nonce is the base nonce.
 */
import { hmacSha256, openChaCha20Poly1305, sealChaCha20Poly1305 } from './primitives.js';

const KDF_HKDF_SHA256 = 0x0001;
const AEAD_CHACHA20_POLY1305 = 0x0003;
const MODE_BASE = 0x00;
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const VERSION_LABEL = Buffer.from('HPKE-v1', 'latin1');

function suiteId(kemId: number): Buffer {
  const id = Buffer.alloc(10);
  id.write('HPKE', 0, 'latin1');
  id.writeUInt16BE(kemId, 4);
  id.writeUInt16BE(KDF_HKDF_SHA256, 6);
  id.writeUInt16BE(AEAD_CHACHA20_POLY1305, 8);
  return id;
}

/** HKDF-Extract; an empty salt is HashLen zero bytes, which HMAC pads to the same key. */
function labeledExtract(suite: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array): Buffer {
  return hmacSha256(salt, Buffer.concat([VERSION_LABEL, suite, Buffer.from(label, 'latin1'), ikm]));
}

/** HKDF-Expand for at most one hash length of output: T(1) truncated. */
function labeledExpand(
  suite: Buffer,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Buffer {
  const lengthPrefix = Buffer.alloc(2);
  lengthPrefix.writeUInt16BE(length);
  const labeledInfo = Buffer.concat([lengthPrefix, VERSION_LABEL, suite, Buffer.from(label, 'latin1'), info]);
  return hmacSha256(prk, Buffer.concat([labeledInfo, Buffer.of(1)])).subarray(0, length);
}

function keySchedule(kemId: number, sharedSecret: Uint8Array, info: string): { key: Buffer; nonce: Buffer } {
  const suite = suiteId(kemId);
  const empty = Buffer.alloc(0);
  const context = Buffer.concat([
    Buffer.of(MODE_BASE),
    labeledExtract(suite, empty, 'psk_id_hash', empty),
    labeledExtract(suite, empty, 'info_hash', Buffer.from(info, 'latin1')),
  ]);
  const secret = labeledExtract(suite, sharedSecret, 'secret', empty);
  return {
    key: labeledExpand(suite, secret, 'key', context, KEY_LENGTH),
    nonce: labeledExpand(suite, secret, 'base_nonce', context, NONCE_LENGTH),
  };
}

/** SealBase's ciphertext for the shared secret a KEM gave `kemId`, with an empty AAD. */
export function hpkeSeal(
  kemId: number,
  sharedSecret: Uint8Array,
  info: string,
  plaintext: Uint8Array,
): Buffer {
  const { key, nonce } = keySchedule(kemId, sharedSecret, info);
  return Buffer.concat(sealChaCha20Poly1305(key, nonce, plaintext));
}

/** OpenBase's plaintext, or null when the ciphertext does not authenticate under this shared secret. */
export function hpkeOpen(
  kemId: number,
  sharedSecret: Uint8Array,
  info: string,
  ciphertext: Uint8Array,
): Buffer | null {
  const { key, nonce } = keySchedule(kemId, sharedSecret, info);
  return openChaCha20Poly1305(key, nonce, ciphertext);
}
