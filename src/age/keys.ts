/**
 * Parsing age keys from text, with errors that say what was given instead (a secret key where a public key
 * belongs, an SSH or plugin key, a mistyped key) without ever repeating secret key material.
 *
 * Case follows the reference age CLI: Bech32 itself is case-insensitive (all lowercase or all uppercase), but
 * recipients are written `age1…` in lowercase and secret keys `AGE-SECRET-KEY-1…` in uppercase, and the CLI
 * rejects the other case. So do we, so that a key this code accepts is a key `age` accepts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Bech32Error, bech32Decode, bech32Encode, type Bech32Decoded } from './bech32.js';
import { AgeError } from './errors.js';
import {
  HYBRID_IDENTITY_HRP,
  HYBRID_RECIPIENT_HRP,
  HYBRID_STANZA_TYPE,
  HybridIdentity,
  HybridRecipient,
} from './hybrid.js';
import { isValidEncapsulationKey, MLKEM_PUBLIC_KEY_LENGTH } from './mlkem.js';
import { rawX25519PrivateKey, rawX25519PublicKey } from './primitives.js';
import { IDENTITY_HRP, RECIPIENT_HRP, X25519Identity, X25519Recipient } from './x25519.js';
import { XWING_PUBLIC_KEY_LENGTH, XWING_SEED_LENGTH } from './xwing.js';

export type Recipient = X25519Recipient | HybridRecipient;
export type Identity = X25519Identity | HybridIdentity;

const KEYGEN_HINT = 'made by age-keygen';
const SECRET_KEY_PREFIX = /AGE-SECRET-KEY-/i;
const SSH_PUBLIC_KEY = /^(ssh-|ecdsa-sha2-|sk-ssh-|sk-ecdsa-)/;
/** Public, so safe to quote in errors, when it has the shape of one. */
const RECIPIENT_SHAPE = /^age1[0-9a-z]+$/i;
/** Hybrid public keys run to nearly two thousand characters: messages show their ends. */
const QUOTE_IN_FULL = 100;

/** A public key as messages show it: whole when short, its two ends when it is a long (hybrid) one. */
export function shortRecipient(text: string): string {
  return text.length <= QUOTE_IN_FULL ? text : `${text.slice(0, 24)}…${text.slice(-12)}`;
}

function invalidKey(message: string): AgeError {
  return new AgeError('INVALID_KEY', message);
}

function decodeOrExplain(text: string, what: string): Bech32Decoded {
  try {
    return bech32Decode(text);
  } catch (error) {
    if (error instanceof Bech32Error) throw invalidKey(`${what} is not valid: ${error.message}`);
    throw error;
  }
}

/** Parses an age X25519 public key (`age1…`), the recipient of an encryption. */
export function parseRecipient(text: string): Recipient {
  const key = text.trim();
  const quoted = RECIPIENT_SHAPE.test(key) ? `recipient "${shortRecipient(key)}"` : 'the recipient';
  if (key === '') throw invalidKey(`the recipient is empty: give an age public key (age1…) ${KEYGEN_HINT}`);
  if (SECRET_KEY_PREFIX.test(key)) {
    throw invalidKey(
      'this is an age secret key (AGE-SECRET-KEY-1…): give its public key, printed by `age-keygen -y`, ' +
        'and keep the secret key out of the encryption side',
    );
  }
  if (SSH_PUBLIC_KEY.test(key)) {
    throw invalidKey(
      `SSH public keys are not supported as recipients: give an age public key (age1…) ${KEYGEN_HINT}`,
    );
  }
  if (/\s/.test(key))
    throw invalidKey('the recipient contains whitespace: give one age public key (age1…) per entry');
  if (!/^age1/i.test(key)) {
    throw invalidKey(`${quoted} is not an age public key: it must start with age1… (${KEYGEN_HINT})`);
  }
  const decoded = decodeOrExplain(key, quoted);
  const hrp = decoded.hrp.toLowerCase();
  if (hrp !== RECIPIENT_HRP && hrp !== HYBRID_RECIPIENT_HRP) {
    throw invalidKey(
      `${quoted} is a plugin recipient (age1${decoded.hrp.slice(4).toLowerCase()}1…), which is not supported: ` +
        `give a native public key (age1… or age1pq1…) ${KEYGEN_HINT}`,
    );
  }
  if (decoded.uppercase) {
    throw invalidKey(
      `${quoted} is in uppercase: age public keys are written in lowercase (age1…), as the age CLI requires`,
    );
  }
  return hrp === RECIPIENT_HRP
    ? x25519Recipient(decoded.data, quoted)
    : hybridRecipient(decoded.data, quoted);
}

function x25519Recipient(data: Buffer, quoted: string): X25519Recipient {
  if (data.length !== 32)
    throw invalidKey(`${quoted} is not valid: it holds ${data.length} bytes instead of 32`);
  return new X25519Recipient(data);
}

function hybridRecipient(data: Buffer, quoted: string): HybridRecipient {
  if (data.length !== XWING_PUBLIC_KEY_LENGTH) {
    throw invalidKey(
      `${quoted} is not valid: a post-quantum key holds ${XWING_PUBLIC_KEY_LENGTH} bytes, this one ${data.length}`,
    );
  }
  if (!isValidEncapsulationKey(data.subarray(0, MLKEM_PUBLIC_KEY_LENGTH))) {
    throw invalidKey(`${quoted} is not valid: its ML-KEM-768 part is not a valid encapsulation key`);
  }
  return new HybridRecipient(data);
}

/**
 * The rule of age 1.3 and of the age specification: a file encrypted to a post-quantum key and to a classic one
 * opens with the classic key, so it is only as strong as that key against a quantum computer.
 */
export function checkRecipientMix(recipients: readonly Recipient[]): void {
  const hybrid = recipients.filter((recipient) => recipient.type === HYBRID_STANZA_TYPE).length;
  if (hybrid === 0 || hybrid === recipients.length) return;
  throw invalidKey(
    `${hybrid} of the ${recipients.length} recipients are post-quantum (age1pq1…) and the others classic X25519 ` +
      'keys (age1…): a file encrypted to both opens with the classic key, which a quantum computer could break, so ' +
      'age refuses to mix them. Make every recipient post-quantum (age-keygen -pq, age 1.3 or later), or none',
  );
}

function parseIdentityLine(line: string, where: string): Identity {
  if (/^age1/i.test(line)) {
    throw invalidKey(
      `${where} is an age public key (age1…), not a secret key: decryption needs the AGE-SECRET-KEY-1… line of the key file ${KEYGEN_HINT}`,
    );
  }
  if (/^AGE-PLUGIN-/i.test(line)) {
    throw invalidKey(`${where} is an age plugin identity (AGE-PLUGIN-…), which is not supported`);
  }
  if (line.startsWith('-----BEGIN') || SSH_PUBLIC_KEY.test(line)) {
    throw invalidKey(
      `${where} is an SSH or PEM key, which is not supported: give an age secret key (AGE-SECRET-KEY-1…)`,
    );
  }
  if (!/^AGE-SECRET-KEY-(PQ-)?1/i.test(line)) {
    throw invalidKey(
      `${where} is not an age secret key: expected a line starting with AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…`,
    );
  }
  const decoded = decodeOrExplain(line, `the secret key on ${where}`);
  const hrp = decoded.hrp.toUpperCase();
  if (hrp !== IDENTITY_HRP && hrp !== HYBRID_IDENTITY_HRP) {
    throw invalidKey(
      `${where} is not an age secret key: expected a line starting with AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…`,
    );
  }
  if (!decoded.uppercase) {
    throw invalidKey(
      `the secret key on ${where} is in lowercase: age secret keys are written in uppercase (AGE-SECRET-KEY-1…), ` +
        'as age-keygen writes them and the age CLI requires',
    );
  }
  if (decoded.data.length !== 32) {
    throw invalidKey(
      `the secret key on ${where} is not valid: it holds ${decoded.data.length} bytes instead of 32`,
    );
  }
  return hrp === IDENTITY_HRP ? new X25519Identity(decoded.data) : new HybridIdentity(decoded.data);
}

/**
 * Parses age secret keys from the contents of a key file: `#` comments, blank lines, and one or more
 * `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` lines. Leading and trailing whitespace on a line is ignored.
 */
export function parseIdentity(text: string): Identity[] {
  const identities: Identity[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    identities.push(parseIdentityLine(line, lines.length === 1 ? 'the identity' : `line ${index + 1}`));
  }
  if (identities.length === 0) {
    throw invalidKey(
      `no age secret key found: expected a line starting with AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1… (${KEYGEN_HINT})`,
    );
  }
  return identities;
}

/** A new X25519 key pair in the encodings age-keygen prints. */
export function generateIdentity(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    identity: bech32Encode(IDENTITY_HRP, rawX25519PrivateKey(privateKey)),
    recipient: bech32Encode(RECIPIENT_HRP, rawX25519PublicKey(publicKey)),
  };
}

/** A new hybrid post-quantum key pair in the encodings `age-keygen -pq` prints. */
export function generateHybridIdentity(): { identity: string; recipient: string } {
  const identity = new HybridIdentity(randomBytes(XWING_SEED_LENGTH));
  return { identity: identity.encodeSecretKey(), recipient: identity.recipient.toString() };
}
