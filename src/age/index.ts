/**
 * age v1 (https://age-encryption.org/v1) encryption and decryption on node:crypto, as Node streams: X25519,
 * post-quantum hybrid and passphrase recipients, binary and ASCII-armored files. ML-KEM-768 comes from
 * @noble/post-quantum under a Node whose node:crypto lacks it.
 */
export { createDecryptStream, type DecryptOptions } from './decrypt.js';
export { createEncryptStream, type EncryptOptions } from './encrypt.js';
export { AgeError, type AgeErrorCode } from './errors.js';
export { HybridIdentity, HybridRecipient } from './hybrid.js';
export {
  checkRecipientMix,
  generateHybridIdentity,
  generateIdentity,
  parseIdentity,
  parseRecipient,
  shortRecipient,
  type Identity,
  type Recipient,
} from './keys.js';
export { DEFAULT_MAX_WORK_FACTOR, DEFAULT_WORK_FACTOR } from './scrypt.js';
export { X25519Identity, X25519Recipient } from './x25519.js';
