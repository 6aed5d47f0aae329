/**
 * Our age against the age authors' TypeScript implementation (the `age-encryption` package): files encrypted by
 * each and decrypted by the other, to X25519 keys, to post-quantum hybrid keys (on each ML-KEM-768 the action can
 * use) and with a passphrase, binary and armored, and keys made by each read by the other.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  armor,
  Decrypter,
  Encrypter,
  generateHybridIdentity as theirHybridIdentity,
  generateX25519Identity as theirX25519Identity,
  identityToRecipient,
} from 'age-encryption';
import { describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  type DecryptOptions,
  type EncryptOptions,
  generateHybridIdentity,
  generateIdentity,
  HybridIdentity,
  HybridRecipient,
  parseIdentity,
  parseRecipient,
} from '../src/age/index.js';
import { bech32Decode } from '../src/age/bech32.js';
import { NOBLE_MLKEM, NODE_MLKEM, type MlKem768 } from '../src/age/mlkem.js';

const KIB64 = 64 * 1024;
/** Empty, short, exactly one chunk, and several chunks with a short last one. */
const SIZES = [0, 1000, KIB64, 3 * KIB64 + 17];
const WORK_FACTOR = 12;

function pieces(data: Buffer): Readable {
  const sizes = [1, 7, 65535, 65537, 131072, 100003, 16];
  function* generate(): Generator<Buffer> {
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      yield data.subarray(pos, pos + size);
      pos += size;
    }
  }
  return Readable.from(generate());
}

async function run(data: Buffer, transform: Transform): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(pieces(data), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) parts.push(part);
  });
  return Buffer.concat(parts);
}

const ourEncrypt = (data: Buffer, options: EncryptOptions) => run(data, createEncryptStream(options));
const ourDecrypt = (data: Buffer, options: DecryptOptions) => run(data, createDecryptStream(options));

type TheirKeys = { readonly recipients: readonly string[] } | { readonly passphrase: string };

async function theirEncrypt(data: Buffer, to: TheirKeys): Promise<Buffer> {
  const encrypter = new Encrypter();
  if ('passphrase' in to) {
    encrypter.setPassphrase(to.passphrase);
    encrypter.setScryptWorkFactor(WORK_FACTOR);
  } else {
    for (const recipient of to.recipients) encrypter.addRecipient(recipient);
  }
  return Buffer.from(await encrypter.encrypt(data));
}

async function theirDecrypt(
  file: Buffer,
  key: { identity: string } | { passphrase: string },
): Promise<Buffer> {
  const decrypter = new Decrypter();
  if ('passphrase' in key) decrypter.addPassphrase(key.passphrase);
  else decrypter.addIdentity(key.identity);
  return Buffer.from(await decrypter.decrypt(file));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const implementations: [string, MlKem768][] = [['@noble/post-quantum', NOBLE_MLKEM]];
if (NODE_MLKEM) implementations.push(['node:crypto', NODE_MLKEM]);

describe('age against age-encryption, the age authors’ TypeScript implementation', () => {
  it('agree on the public key of each other’s secret keys', async () => {
    for (const ours of [generateIdentity(), generateHybridIdentity()]) {
      expect(await identityToRecipient(ours.identity)).toBe(ours.recipient);
    }
    for (const theirs of [await theirX25519Identity(), await theirHybridIdentity()]) {
      expect(parseIdentity(theirs)[0]!.recipient.toString()).toBe(await identityToRecipient(theirs));
      expect(parseRecipient(await identityToRecipient(theirs)).toString()).toBe(
        await identityToRecipient(theirs),
      );
    }
  });

  describe('X25519', () => {
    it.each(SIZES)('%i bytes, both ways', async (size) => {
      const data = randomBytes(size);
      const key = generateIdentity();
      const ours = await ourEncrypt(data, { recipients: [parseRecipient(key.recipient)] });
      expect((await theirDecrypt(ours, { identity: key.identity })).equals(data)).toBe(true);
      const theirs = await theirEncrypt(data, { recipients: [key.recipient] });
      expect((await ourDecrypt(theirs, { identities: parseIdentity(key.identity) })).equals(data)).toBe(true);
    });
  });

  describe('passphrase (scrypt)', () => {
    it.each(SIZES)('%i bytes, both ways', async (size) => {
      const data = randomBytes(size);
      const passphrase = randomBytes(12).toString('base64');
      const ours = await ourEncrypt(data, { passphrase, workFactor: WORK_FACTOR });
      expect((await theirDecrypt(ours, { passphrase })).equals(data)).toBe(true);
      const theirs = await theirEncrypt(data, { passphrase });
      expect((await ourDecrypt(theirs, { passphrase })).equals(data)).toBe(true);
    });
  });

  describe.each(implementations)('post-quantum hybrid, ML-KEM-768 from %s', (_name, kem) => {
    it.each(SIZES)('%i bytes, both ways', async (size) => {
      const data = randomBytes(size);
      const theirKey = await theirHybridIdentity();
      const theirRecipient = await identityToRecipient(theirKey);
      const recipient = new HybridRecipient(bech32Decode(theirRecipient).data, kem);
      const ours = await ourEncrypt(data, { recipients: [recipient] });
      expect(ours.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> mlkem768x25519 /);
      expect((await theirDecrypt(ours, { identity: theirKey })).equals(data)).toBe(true);
      const theirs = await theirEncrypt(data, { recipients: [theirRecipient] });
      const identity = new HybridIdentity(bech32Decode(theirKey).data, kem);
      expect(identity.recipient.toString()).toBe(theirRecipient);
      expect((await ourDecrypt(theirs, { identities: [identity] })).equals(data)).toBe(true);
    });

    it('to several recipients, each of which opens the file in the other implementation', async () => {
      const data = randomBytes(KIB64 + 1);
      const keys = await Promise.all([theirHybridIdentity(), theirHybridIdentity(), theirHybridIdentity()]);
      const recipients = await Promise.all(keys.map((key) => identityToRecipient(key)));
      const ours = await ourEncrypt(data, {
        recipients: recipients.map((text) => new HybridRecipient(bech32Decode(text).data, kem)),
      });
      for (const key of keys) {
        expect(sha256(await theirDecrypt(ours, { identity: key }))).toBe(sha256(data));
      }
      const theirs = await theirEncrypt(data, { recipients });
      for (const key of keys) {
        const identity = new HybridIdentity(bech32Decode(key).data, kem);
        expect(sha256(await ourDecrypt(theirs, { identities: [identity] }))).toBe(sha256(data));
      }
    });
  });

  it('derives the same hybrid keys with either ML-KEM-768, so a key works under every Node', () => {
    expect(NODE_MLKEM, 'this Node has ML-KEM-768 in node:crypto').toBeDefined();
    for (let i = 0; i < 5; i++) {
      const seed = randomBytes(32);
      const native = new HybridIdentity(seed, NODE_MLKEM);
      expect(new HybridIdentity(seed, NOBLE_MLKEM).recipient.toString()).toBe(native.recipient.toString());
    }
  });

  it('our decryptor reads their ASCII armor, of their files and of ours, in any piece sizes', async () => {
    const data = randomBytes(2 * KIB64 + 5);
    const key = generateHybridIdentity();
    const identities = parseIdentity(key.identity);
    const theirs = await theirEncrypt(data, { recipients: [key.recipient] });
    const ours = await ourEncrypt(data, { recipients: [parseRecipient(key.recipient)] });
    for (const file of [theirs, ours]) {
      const armored = Buffer.from(armor.encode(file), 'latin1');
      expect(armored.toString('latin1')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      expect((await ourDecrypt(armored, { identities })).equals(data)).toBe(true);
    }
  });

  it('a file theirs encrypted to a hybrid and a classic key opens with either; ours refuses to write one', async () => {
    const data = randomBytes(100);
    const hybrid = generateHybridIdentity();
    const classic = generateIdentity();
    const theirs = await theirEncrypt(data, { recipients: [hybrid.recipient, classic.recipient] });
    for (const key of [hybrid, classic]) {
      expect((await ourDecrypt(theirs, { identities: parseIdentity(key.identity) })).equals(data)).toBe(true);
    }
    expect(() =>
      createEncryptStream({
        recipients: [parseRecipient(hybrid.recipient), parseRecipient(classic.recipient)],
      }),
    ).toThrow(/1 of the 2 recipients are post-quantum.*age refuses to mix them/);
  });
});
