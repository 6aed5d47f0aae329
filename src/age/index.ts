/** age v1 (https://age-encryption.org/v1) encryption and decryption on node:crypto, as Node streams. */
export { createDecryptStream, type DecryptOptions } from './decrypt.js';
export { createEncryptStream, type EncryptOptions } from './encrypt.js';
export { AgeError, type AgeErrorCode } from './errors.js';
export { generateIdentity, parseIdentity, parseRecipient, type Identity, type Recipient } from './keys.js';
export { DEFAULT_MAX_WORK_FACTOR, DEFAULT_WORK_FACTOR } from './scrypt.js';
export { X25519Identity, X25519Recipient } from './x25519.js';
