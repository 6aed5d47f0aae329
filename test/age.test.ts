/**
 * age v1 on node:crypto, checked against the real `age` and `age-keygen` CLIs (Debian package `age`): files go
 * both ways through pipes, passphrases are typed into the CLI on a pseudo-terminal made by `script`, and damaged
 * files must fail in our decryptor (with a clear error) as they do in the CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgeError,
  createDecryptStream,
  createEncryptStream,
  generateIdentity,
  parseIdentity,
  parseRecipient,
  type AgeErrorCode,
  type DecryptOptions,
  type EncryptOptions,
} from '../src/age/index.js';
import { Bech32Error, bech32Decode, bech32Encode } from '../src/age/bech32.js';
import { encodeHeader } from '../src/age/header.js';
import { ChunkSealer, payloadKey } from '../src/age/stream-cipher.js';

const KIB64 = 64 * 1024;
const ENCRYPTED_CHUNK = KIB64 + 16;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function ageInstalled(): boolean {
  return spawnSync('age', ['--version']).status === 0 && spawnSync('age-keygen', ['--version']).status === 0;
}

/** Streams `data` in pieces of uneven sizes, so chunk boundaries fall everywhere. */
function pieces(data: Buffer, sizes: readonly number[] = [1, 7, 65535, 65537, 131072, 100003, 16]): Readable {
  function* generate(): Generator<Buffer> {
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      yield data.subarray(pos, pos + size);
      pos += size;
    }
  }
  return Readable.from(generate(), { objectMode: false });
}

async function run(input: Readable, transform: Transform): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(input, transform, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) parts.push(part);
  });
  return Buffer.concat(parts);
}

const encrypt = (data: Buffer, options: EncryptOptions) => run(pieces(data), createEncryptStream(options));
const decrypt = (data: Buffer, options: DecryptOptions) => run(pieces(data), createDecryptStream(options));

interface Failure {
  error: AgeError;
  /** Plaintext bytes the stream emitted before it failed. */
  emitted: number;
}

/** Decrypts and expects the stream to fail with an AgeError, not to end. */
async function decryptFailure(data: Buffer, options: DecryptOptions): Promise<Failure> {
  let emitted = 0;
  let ended = false;
  const stream = createDecryptStream(options);
  stream.on('end', () => {
    ended = true;
  });
  try {
    await pipeline(pieces(data), stream, async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) emitted += part.length;
    });
  } catch (error) {
    expect(error).toBeInstanceOf(AgeError);
    expect(ended).toBe(false);
    return { error: error as AgeError, emitted };
  }
  throw new Error(`decryption succeeded (${emitted} bytes) where it should have failed`);
}

async function expectFailure(data: Buffer, options: DecryptOptions, code: AgeErrorCode, message: RegExp) {
  const failure = await decryptFailure(data, options);
  expect(failure.error.message).toMatch(message);
  expect(failure.error.code).toBe(code);
  return failure;
}

interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a CLI with `input` piped to its stdin (streamed when it is a Readable). */
async function cli(command: string, args: readonly string[], input?: Readable | Buffer): Promise<CliResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (part: Buffer) => stdout.push(part));
  child.stderr.on('data', (part: Buffer) => stderr.push(part));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const source =
    input === undefined ? Readable.from([]) : input instanceof Buffer ? Readable.from([input]) : input;
  const feeding = pipeline(source, child.stdin).catch((error: unknown) => error);
  const code = await exited;
  const fed = await feeding;
  const result = { code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() };
  if (fed instanceof Error && code === 0) throw fed;
  return result;
}

/**
 * Runs an age command on a pseudo-terminal (the CLI reads passphrases only from a terminal, never from stdin or
 * the environment) and types `passphrase` at each prompt.
 */
async function cliOnTerminal(
  command: string,
  passphrase: string,
): Promise<{ code: number | null; transcript: string }> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  let answered = 0;
  child.stdout.on('data', (part: Buffer) => {
    transcript += part.toString();
    const prompts = transcript.match(/(Enter|Confirm) passphrase/g)?.length ?? 0;
    for (; answered < prompts; answered++) child.stdin.write(`${passphrase}\n`);
  });
  child.stderr.on('data', (part: Buffer) => {
    transcript += part.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.destroy();
  return { code, transcript };
}

const quote = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function headerLength(file: Buffer): number {
  const mac = file.indexOf('\n--- ');
  return file.indexOf('\n', mac + 1) + 1;
}

/** Changes one base64 character of the header into another, so that the header still parses. */
function changeBase64Char(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = copy[offset] === 0x41 ? 0x42 : 0x41; // 'A' or 'B'
  return copy;
}

function flipByte(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset]! ^= 0x01;
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------

describe('age v1 on node:crypto, against the age CLI', () => {
  let dir: string;
  /** A key pair made by age-keygen. */
  let cliKeyFile: string;
  let cliRecipient: string;

  beforeAll(async () => {
    if (!ageInstalled()) {
      throw new Error('these tests need the age CLI: apt-get install age (or brew install age)');
    }
    dir = await mkdtemp(join(tmpdir(), 'age-test-'));
    cliKeyFile = join(dir, 'cli-key.txt');
    const keygen = await cli('age-keygen', ['-o', cliKeyFile]);
    expect(keygen.code).toBe(0);
    cliRecipient = (await cli('age-keygen', ['-y', cliKeyFile])).stdout.toString().trim();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cliIdentities = async () => parseIdentity(await readFile(cliKeyFile, 'utf8'));

  describe('our encryption, the CLI decrypts', () => {
    it.each([0, 1, 65535, 65536, 65537, 3 * KIB64])('%i bytes', async (size) => {
      const data = randomBytes(size);
      const encrypted = await encrypt(data, { recipients: [parseRecipient(cliRecipient)] });

      expect(encrypted.toString('latin1', 0, headerLength(encrypted))).toMatch(
        /^age-encryption\.org\/v1\n-> X25519 [A-Za-z0-9+/]{43}\n[A-Za-z0-9+/]{43}\n--- [A-Za-z0-9+/]{43}\n$/,
      );
      // The final chunk is full only for a non-empty multiple of 64 KiB, and empty only for an empty plaintext.
      const chunks = size === 0 ? 1 : Math.ceil(size / KIB64);
      expect(encrypted.length - headerLength(encrypted)).toBe(16 + size + 16 * chunks);

      const result = await cli('age', ['-d', '-i', cliKeyFile], encrypted);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.equals(data)).toBe(true);
    });

    it('streams 20 MB straight into `age -d` through a pipe', async () => {
      const data = randomBytes(20 * 1024 * 1024 + 12345);
      const encrypting = pieces(data).pipe(
        createEncryptStream({ recipients: [parseRecipient(cliRecipient)] }),
      );
      const result = await cli('age', ['-d', '-i', cliKeyFile], encrypting);
      expect(result.code).toBe(0);
      expect(result.stdout.length).toBe(data.length);
      expect(sha256(result.stdout)).toBe(sha256(data));
    });

    it('encrypts to several recipients, each of which can decrypt', async () => {
      const ours = generateIdentity();
      const keyFile = join(dir, 'ours-several.txt');
      await writeFile(keyFile, `${ours.identity}\n`);
      const data = randomBytes(100_000);
      const encrypted = await encrypt(data, {
        recipients: [parseRecipient(cliRecipient), parseRecipient(ours.recipient)],
      });
      for (const key of [cliKeyFile, keyFile]) {
        const result = await cli('age', ['-d', '-i', key], encrypted);
        expect(result.code).toBe(0);
        expect(result.stdout.equals(data)).toBe(true);
      }
    });
  });

  describe('CLI encryption, we decrypt', () => {
    it.each([0, 1, 65535, 65536, 65537, 3 * KIB64])('%i bytes from `age -r`', async (size) => {
      const data = randomBytes(size);
      const encrypted = await cli('age', ['-r', cliRecipient], data);
      expect(encrypted.code).toBe(0);
      const decrypted = await decrypt(encrypted.stdout, { identities: await cliIdentities() });
      expect(decrypted.equals(data)).toBe(true);
    });

    it('streams 20 MB from `age -e -R` with several recipients, in any piece sizes', async () => {
      const others = [generateIdentity(), generateIdentity()];
      const recipientsFile = join(dir, 'recipients.txt');
      await writeFile(
        recipientsFile,
        `# backup recipients\n${cliRecipient}\n\n${others.map((o) => o.recipient).join('\n')}\n`,
      );
      const data = randomBytes(20 * 1024 * 1024 + 7);
      const dataFile = join(dir, 'plain-20m');
      await writeFile(dataFile, data);
      const encryptedFile = join(dir, 'cli-20m.age');
      expect((await cli('age', ['-e', '-R', recipientsFile, '-o', encryptedFile, dataFile])).code).toBe(0);

      for (const identities of [await cliIdentities(), parseIdentity(others[1]!.identity)]) {
        const hash = createHash('sha256');
        let length = 0;
        await pipeline(
          createReadStream(encryptedFile, { highWaterMark: 100_003 }),
          createDecryptStream({ identities }),
          new Writable({
            write(chunk: Buffer, _encoding, callback) {
              hash.update(chunk);
              length += chunk.length;
              callback();
            },
          }),
        );
        expect(length).toBe(data.length);
        expect(hash.digest('hex')).toBe(sha256(data));
      }
    });

    it('finds the matching identity among several in a key file', async () => {
      const data = randomBytes(1000);
      const encrypted = await cli('age', ['-r', cliRecipient], data);
      const keyFile = `# a comment\r\n${generateIdentity().identity}\r\n\r\n${await readFile(cliKeyFile, 'utf8')}`;
      const decrypted = await decrypt(encrypted.stdout, { identities: parseIdentity(keyFile) });
      expect(decrypted.equals(data)).toBe(true);
    });

    it('decrypts ASCII-armored files from `age -a`, in any piece sizes, with CRLF line ends too', async () => {
      const data = randomBytes(3 * KIB64 + 100);
      const armored = (await cli('age', ['-a', '-r', cliRecipient], data)).stdout;
      expect(armored.toString('latin1')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      const identities = await cliIdentities();
      expect((await decrypt(armored, { identities })).equals(data)).toBe(true);
      const crlf = Buffer.from(armored.toString('latin1').replaceAll('\n', '\r\n'), 'latin1');
      expect((await decrypt(crlf, { identities })).equals(data)).toBe(true);
    });

    it('refuses damaged armor as the CLI does, saying which line is wrong', async () => {
      const armored = (await cli('age', ['-a', '-r', cliRecipient], Buffer.from('hello'))).stdout;
      const lines = armored.toString('latin1').split('\n');
      const identities = await cliIdentities();
      const damaged = [
        [[lines[0], ` ${lines[1]}`, ...lines.slice(2)], /\(line 2\): it contains whitespace/],
        [
          [lines[0], lines[1]!.slice(0, 60), ...lines.slice(2)],
          /\(line 3\): the short line before it must be the last/,
        ],
        [
          [...lines.slice(0, -2), 'garbage', ''],
          /\(line \d+\): the short line before it must be the last one/,
        ],
        [[...lines, 'more'], /there is text after the "-----END AGE ENCRYPTED FILE-----" line/],
      ] as const;
      for (const [text, message] of damaged) {
        const file = Buffer.from(text.join('\n'), 'latin1');
        await expectFailure(file, { identities }, 'INVALID_ARMOR', message);
        expect((await cli('age', ['-d', '-i', cliKeyFile], file)).code).not.toBe(0);
      }
    });
  });

  describe('our keys', () => {
    it('`age-keygen -y` derives our recipient from our identity', async () => {
      for (let i = 0; i < 5; i++) {
        const { identity, recipient } = generateIdentity();
        expect(identity).toMatch(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
        expect(recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
        const keyFile = join(dir, `ours-${i}.txt`);
        await writeFile(keyFile, `${identity}\n`);
        expect((await cli('age-keygen', ['-y', keyFile])).stdout.toString().trim()).toBe(recipient);
        expect(parseIdentity(identity)[0]!.recipient.toString()).toBe(recipient);
        expect(parseRecipient(recipient).toString()).toBe(recipient);
      }
    });

    it('work with the CLI both ways', async () => {
      const { identity, recipient } = generateIdentity();
      const keyFile = join(dir, 'ours-both-ways.txt');
      await writeFile(keyFile, `${identity}\n`);
      const data = randomBytes(70_000);

      const byCli = await cli('age', ['-r', recipient], data);
      expect((await decrypt(byCli.stdout, { identities: parseIdentity(identity) })).equals(data)).toBe(true);

      const byUs = await encrypt(data, { recipients: [parseRecipient(recipient)] });
      const opened = await cli('age', ['-d', '-i', keyFile], byUs);
      expect(opened.code).toBe(0);
      expect(opened.stdout.equals(data)).toBe(true);
    });

    it('match the X25519 key test vector of the spec', () => {
      const [identity] = parseIdentity(
        'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX',
      );
      expect(identity!.recipient.toString()).toBe(
        'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj',
      );
      expect(identity!.encodeSecretKey()).toBe(
        'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX',
      );
      expect(String(identity)).not.toContain('SECRET');
    });
  });

  describe('passphrases', () => {
    const passphrase = 'correct horse battery staple';

    it('round-trips through our encryption and decryption, any size', async () => {
      for (const size of [0, 1, KIB64, KIB64 + 1]) {
        const data = randomBytes(size);
        const encrypted = await encrypt(data, { passphrase, workFactor: 10 });
        expect(encrypted.toString('latin1', 0, headerLength(encrypted))).toMatch(
          /^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n[A-Za-z0-9+/]{43}\n--- [A-Za-z0-9+/]{43}\n$/,
        );
        expect((await decrypt(encrypted, { passphrase })).equals(data)).toBe(true);
      }
    });

    it('the CLI decrypts our passphrase file (default work factor 18, passphrase typed on a terminal)', async () => {
      const data = randomBytes(100_000);
      const encryptedFile = join(dir, 'ours-scrypt.age');
      const outFile = join(dir, 'ours-scrypt.out');
      await writeFile(encryptedFile, await encrypt(data, { passphrase }));
      expect((await readFile(encryptedFile)).toString('latin1', 0, 60)).toMatch(/-> scrypt \S{22} 18\n/);
      const result = await cliOnTerminal(`age -d -o ${quote(outFile)} ${quote(encryptedFile)}`, passphrase);
      expect(result.code, result.transcript).toBe(0);
      expect((await readFile(outFile)).equals(data)).toBe(true);
    });

    it('we decrypt a passphrase file from `age -p` (typed on a terminal)', async () => {
      const data = randomBytes(70_000);
      const plainFile = join(dir, 'cli-scrypt.plain');
      const encryptedFile = join(dir, 'cli-scrypt.age');
      await writeFile(plainFile, data);
      const result = await cliOnTerminal(`age -p -o ${quote(encryptedFile)} ${quote(plainFile)}`, passphrase);
      expect(result.code, result.transcript).toBe(0);
      const encrypted = await readFile(encryptedFile);
      expect((await decrypt(encrypted, { passphrase })).equals(data)).toBe(true);
      await expectFailure(encrypted, { passphrase: 'Tr0ub4dor&3' }, 'WRONG_PASSPHRASE', /wrong passphrase/);
    });

    it('refuses a work factor above the limit before running scrypt', async () => {
      const encrypted = await encrypt(Buffer.from('x'), { passphrase, workFactor: 12 });
      await expectFailure(
        encrypted,
        { passphrase, maxWorkFactor: 11 },
        'WORK_FACTOR_TOO_HIGH',
        /2\^12 is above/,
      );
      // 2^23 would need 8 GiB: the default limit of 22 refuses it (the MAC is not even reached).
      const huge = Buffer.from(encrypted.toString('latin1').replace(/ 12\n/, ' 23\n'), 'latin1');
      await expectFailure(huge, { passphrase }, 'WORK_FACTOR_TOO_HIGH', /2\^23 is above the limit of 2\^22/);
    });

    it('tells passphrase files and public-key files apart', async () => {
      const scrypt = await encrypt(Buffer.from('x'), { passphrase, workFactor: 10 });
      await expectFailure(
        scrypt,
        { identities: await cliIdentities() },
        'PASSPHRASE_FILE',
        /with a passphrase/,
      );
      const x25519 = await encrypt(Buffer.from('x'), { recipients: [parseRecipient(cliRecipient)] });
      await expectFailure(x25519, { passphrase }, 'NOT_PASSPHRASE_FILE', /not with a passphrase/);
    });

    it('rejects an scrypt stanza next to another stanza', async () => {
      const scrypt = await encrypt(Buffer.from('x'), { passphrase, workFactor: 10 });
      const text = scrypt.toString('latin1');
      const mixed = Buffer.from(text.replace('\n---', '\n-> X25519 AAAA\nAAAA\n---'), 'latin1');
      await expectFailure(mixed, { passphrase }, 'MALFORMED_HEADER', /only stanza/);
    });
  });

  describe('test vectors made by the age 1.1.1 CLI', () => {
    const plaintext = 'age interop test vector: made by the age 1.1.1 CLI\n';
    const key =
      '# created: 2026-11-21T17:53:43Z\n# public key: age1ptc794fwhkx50uk7mze0a4vh2t2ug7lgrqmcu4gqw8dvsuwprgzqjkrupr\n' +
      'AGE-SECRET-KEY-1J5L56K5AU87GASXGVR4H7D57KGR3WWYRZ7CP5CT4SU2PZJW8S6AQX92NTY\n';
    const x25519File = Buffer.from(
      'YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB3MnFtRlhPQW8wVSt4UlVsZEpXdnBxdVR1Sk5MVDdhTEdSRmlxSUxpNW1jCndRS2xadC9p' +
        'WUpyQ0NLMkNtV2dSTlA3U3ZVWjNsZDdXU2kvMUllL3VuVmsKLS0tIDRRTk9UK04zZGdRNVhiTXN6QnNxVElDNG5HNUExM3ZKL2NDZ2dxOU5WMWsK' +
        'sM/gvKmkpnC7lsG43ImzTavelkClwZ0RC5mZ5AGdA7vMYsAPid7cVUWr7PtTrIpLhANoJOaAkNSZpQIRbj3i5BfEqm0ADfasakPgYqkgIBSmRAc=',
      'base64',
    );
    const scryptFile = Buffer.from(
      'YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNjcnlwdCA2enhsZVFvbDdkbXJoWExrR2xjMkl3IDE4CnFzSm0xeEs0dGFTWUhpKzJQL2dpa1doVmdw' +
        'WUpLbllpOXpDTEhnNk1LOTAKLS0tIEVQdFRoYmp2NkxqVWZwTWlCWG52cmpxWUlWVlFpZzZMMjBPL1EzQXVobzgKK7CZx3N5Xr8IxoaX1asTTROy' +
        'HU0UxtHjF/PFzDZf8tf2Se6MmutSUnqVCAWQOrCMCuL6yBAhRjzbluv178fpGpBTY4F9qLZzn386b4hJcluaBUg=',
      'base64',
    );

    it('decrypts the X25519 vector', async () => {
      const identities = parseIdentity(key);
      expect(identities[0]!.recipient.toString()).toBe(
        'age1ptc794fwhkx50uk7mze0a4vh2t2ug7lgrqmcu4gqw8dvsuwprgzqjkrupr',
      );
      expect((await decrypt(x25519File, { identities })).toString()).toBe(plaintext);
    });

    it('decrypts the scrypt vector (work factor 18)', async () => {
      const decrypted = await decrypt(scryptFile, { passphrase: 'correct horse battery staple' });
      expect(decrypted.toString()).toBe(plaintext);
    });
  });

  describe('damaged files fail with a clear error, in our decryptor as in the CLI', () => {
    const data = randomBytes(3 * KIB64 + 100); // four chunks, the last one short
    let identities: ReturnType<typeof parseIdentity>;
    let encrypted: Buffer;
    let header: number;
    const chunkStart = (number: number) => header + 16 + (number - 1) * ENCRYPTED_CHUNK;

    beforeAll(async () => {
      identities = await cliIdentities();
      encrypted = await encrypt(data, { recipients: [parseRecipient(cliRecipient)] });
      header = headerLength(encrypted);
      expect(encrypted.length).toBe(chunkStart(4) + 100 + 16);
    });

    async function cliRejects(file: Buffer): Promise<void> {
      const result = await cli('age', ['-d', '-i', cliKeyFile], file);
      expect(result.code).not.toBe(0);
    }

    it('a flipped byte in the header MAC', async () => {
      const file = changeBase64Char(encrypted, header - 10);
      await expectFailure(file, { identities }, 'HEADER_MAC', /header MAC does not match/);
      await cliRejects(file);
    });

    it('a stanza added to the header', async () => {
      const file = Buffer.concat([
        Buffer.from(
          encrypted.toString('latin1', 0, header).replace('\n---', '\n-> grease x\n\n---'),
          'latin1',
        ),
        encrypted.subarray(header),
      ]);
      await expectFailure(file, { identities }, 'HEADER_MAC', /header MAC does not match/);
      await cliRejects(file);
    });

    it('a flipped byte in the wrapped file key', async () => {
      const body = encrypted.indexOf('\n', encrypted.indexOf('-> X25519')) + 1;
      const file = changeBase64Char(encrypted, body + 5);
      await expectFailure(file, { identities }, 'NO_MATCH', /no identity matches any recipient/);
      await cliRejects(file);
    });

    it('an unknown version', async () => {
      const file = Buffer.concat([Buffer.from('age-encryption.org/v2'), encrypted.subarray(21)]);
      await expectFailure(file, { identities }, 'UNSUPPORTED_VERSION', /unsupported age format version "v2"/);
      await cliRejects(file);
      await expectFailure(
        Buffer.from('PGDMP\x01\x0e\x00'),
        { identities },
        'NOT_AGE_FILE',
        /not an age encrypted file/,
      );
      const crlf = Buffer.from(encrypted.toString('latin1').replace('\n', '\r\n'), 'latin1');
      await expectFailure(crlf, { identities }, 'MALFORMED_HEADER', /CRLF line endings/);
      await cliRejects(crlf);
    });

    it('a flipped byte in a middle chunk, after the chunks before it were emitted', async () => {
      const file = flipByte(encrypted, chunkStart(2) + 1000);
      const failure = await expectFailure(
        file,
        { identities },
        'DAMAGED',
        /^chunk 2 failed authentication: the file is damaged or was tampered with/,
      );
      expect(failure.emitted).toBe(KIB64);
      await cliRejects(file);
    });

    it('a flipped byte in the last chunk, its tag, or the payload nonce', async () => {
      for (const [offset, number] of [
        [chunkStart(4) + 10, 4],
        [encrypted.length - 1, 4],
        [header + 3, 1],
      ] as const) {
        const file = flipByte(encrypted, offset);
        await expectFailure(
          file,
          { identities },
          'DAMAGED',
          new RegExp(`^chunk ${number} failed authentication: the file is damaged or was tampered with`),
        );
        await cliRejects(file);
      }
    });

    it('chunks swapped', async () => {
      const file = Buffer.concat([
        encrypted.subarray(0, chunkStart(1)),
        encrypted.subarray(chunkStart(2), chunkStart(3)),
        encrypted.subarray(chunkStart(1), chunkStart(2)),
        encrypted.subarray(chunkStart(3)),
      ]);
      await expectFailure(file, { identities }, 'DAMAGED', /^chunk 1 failed authentication/);
      await cliRejects(file);
    });

    it('a file truncated at a chunk boundary', async () => {
      for (const end of [chunkStart(4), chunkStart(2), header + 16]) {
        const file = encrypted.subarray(0, end);
        await expectFailure(
          file,
          { identities },
          'TRUNCATED',
          /^the file is truncated: the last chunk is missing$/,
        );
        await cliRejects(file);
      }
    });

    it('a file truncated inside a chunk, the nonce or the header', async () => {
      await expectFailure(
        encrypted.subarray(0, chunkStart(3) + 5000),
        { identities },
        'DAMAGED',
        /or truncated/,
      );
      await expectFailure(encrypted.subarray(0, chunkStart(3) + 5), { identities }, 'TRUNCATED', /truncated/);
      await expectFailure(
        encrypted.subarray(0, header + 7),
        { identities },
        'TRUNCATED_HEADER',
        /payload is missing/,
      );
      await expectFailure(
        encrypted.subarray(0, header - 7),
        { identities },
        'TRUNCATED_HEADER',
        /header is incomplete/,
      );
      await expectFailure(Buffer.alloc(0), { identities }, 'NOT_AGE_FILE', /empty/);
    });

    it('a chunk appended after the final chunk', async () => {
      // A full final chunk followed by more data: the extra data can be recognized as such.
      const exact = await encrypt(randomBytes(2 * KIB64), { recipients: [parseRecipient(cliRecipient)] });
      const lastChunk = exact.subarray(exact.length - ENCRYPTED_CHUNK);
      const appended = Buffer.concat([exact, lastChunk]);
      await expectFailure(
        appended,
        { identities },
        'TRAILING_DATA',
        /data after its final chunk \(chunk 2\)/,
      );
      await cliRejects(appended);
      // After a short final chunk, appended bytes merge into it and it no longer authenticates.
      const extended = Buffer.concat([encrypted, encrypted.subarray(chunkStart(2), chunkStart(3))]);
      await expectFailure(extended, { identities }, 'DAMAGED', /^chunk 4 failed authentication/);
      await cliRejects(extended);
    });

    it('an empty final chunk after a full one', async () => {
      // No conforming encoder writes this (a 64 KiB plaintext ends with a full final chunk), so build it by hand.
      const fileKey = randomBytes(16);
      const nonce = randomBytes(16);
      const sealer = new ChunkSealer(payloadKey(fileKey, nonce));
      const file = Buffer.concat([
        encodeHeader([parseRecipient(cliRecipient).wrap(fileKey)], fileKey),
        nonce,
        ...sealer.seal(randomBytes(KIB64), false),
        ...sealer.seal(Buffer.alloc(0), true),
      ]);
      await expectFailure(file, { identities }, 'DAMAGED', /final chunk is empty/);
      await cliRejects(file);
    });

    it('a wrong identity', async () => {
      const stranger = generateIdentity();
      const failure = await expectFailure(
        encrypted,
        { identities: parseIdentity(stranger.identity) },
        'NO_MATCH',
        /^no identity matches any recipient of this file: it was encrypted to 1 X25519 recipient/,
      );
      expect(failure.error.message).toContain(stranger.recipient);
      expect(failure.error.message).not.toContain(stranger.identity);
      expect(failure.emitted).toBe(0);
    });
  });

  describe('key parsing', () => {
    const { identity: secret, recipient } = generateIdentity();
    const secretBody = secret.slice('AGE-SECRET-KEY-1'.length);

    function keyError(parse: () => unknown): AgeError {
      try {
        parse();
      } catch (error) {
        expect(error).toBeInstanceOf(AgeError);
        expect((error as AgeError).code).toBe('INVALID_KEY');
        expect((error as AgeError).message).not.toContain(secretBody);
        expect((error as AgeError).message).not.toContain(secretBody.toLowerCase());
        return error as AgeError;
      }
      throw new Error('parsing succeeded where it should have failed');
    }

    it('decodes Bech32 as BIP 173 says, with the checksum over the lowercase form', () => {
      for (const valid of [
        'A12UEL5L',
        'a12uel5l',
        'an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs',
        'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw',
        'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w',
      ]) {
        const decoded = bech32Decode(valid);
        expect(bech32Encode(decoded.hrp, decoded.data)).toBe(valid);
      }
      for (const invalid of ['A1G7SGD8', '10a06t8', '1qzzfhee', 'pzry9x0s0muk', 'x1b4n0q5v', 'li1dgmt3']) {
        expect(() => bech32Decode(invalid)).toThrow(Bech32Error);
      }
    });

    it('accepts recipients with surrounding whitespace', () => {
      expect(parseRecipient(`  ${recipient}\n`).toString()).toBe(recipient);
    });

    it('rejects truncated and mistyped recipients with a checksum error', () => {
      expect(keyError(() => parseRecipient(recipient.slice(0, -1))).message).toMatch(/checksum/);
      const typo = recipient.slice(0, 20) + (recipient[20] === 'q' ? 'p' : 'q') + recipient.slice(21);
      expect(keyError(() => parseRecipient(typo)).message).toMatch(
        /checksum does not match: it is mistyped or truncated/,
      );
      expect(
        keyError(() => parseRecipient(`${recipient.slice(0, 20)}b${recipient.slice(21)}`)).message,
      ).toMatch(/character Bech32 does not use/);
      expect(keyError(() => parseRecipient('')).message).toMatch(/empty/);
      expect(keyError(() => parseRecipient('hello')).message).toMatch(/must start with age1/);
    });

    it('explains a secret key given where a public key belongs, and the reverse', () => {
      expect(keyError(() => parseRecipient(secret)).message).toContain(
        'this is an age secret key (AGE-SECRET-KEY-1…): give its public key, printed by `age-keygen -y`',
      );
      expect(keyError(() => parseRecipient(secret.toLowerCase())).message).toMatch(
        /this is an age secret key/,
      );
      expect(keyError(() => parseRecipient(`# created\n${secret}`)).message).toMatch(
        /this is an age secret key/,
      );
      expect(keyError(() => parseIdentity(`# key\n${recipient}\n`)).message).toMatch(
        /^line 2 is an age public key \(age1…\), not a secret key/,
      );
    });

    it('says SSH keys and plugin recipients are not supported', () => {
      const ssh =
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@example';
      expect(keyError(() => parseRecipient(ssh)).message).toMatch(/SSH public keys are not supported/);
      const plugin = bech32Encode('age1yubikey', randomBytes(33));
      expect(keyError(() => parseRecipient(plugin)).message).toMatch(
        /plugin recipient \(age1yubikey1…\).*not supported/,
      );
      expect(keyError(() => parseIdentity('-----BEGIN OPENSSH PRIVATE KEY-----')).message).toMatch(
        /not supported/,
      );
      expect(
        keyError(() => parseIdentity(bech32Encode('AGE-PLUGIN-YUBIKEY-', randomBytes(20)))).message,
      ).toMatch(/plugin identity.*not supported/);
    });

    it('follows the CLI on case: lowercase recipients, uppercase secret keys, never mixed', async () => {
      expect(keyError(() => parseRecipient(recipient.toUpperCase())).message).toMatch(/written in lowercase/);
      expect(keyError(() => parseIdentity(secret.toLowerCase())).message).toMatch(/written in uppercase/);
      const mixed = recipient.slice(0, 10) + recipient.slice(10).toUpperCase();
      expect(keyError(() => parseRecipient(mixed)).message).toMatch(/mixes uppercase and lowercase/);
      const mixedSecret = secret.slice(0, 30) + secret.slice(30).toLowerCase();
      expect(keyError(() => parseIdentity(mixedSecret)).message).toMatch(/mixes uppercase and lowercase/);
      // The reference CLI draws the same lines.
      expect((await cli('age', ['-r', recipient.toUpperCase()], Buffer.from('x'))).code).not.toBe(0);
      const lowerKeyFile = join(dir, 'lowercase-key.txt');
      await writeFile(lowerKeyFile, `${secret.toLowerCase()}\n`);
      const encrypted = await cli('age', ['-r', recipient], Buffer.from('x'));
      expect((await cli('age', ['-d', '-i', lowerKeyFile], encrypted.stdout)).code).not.toBe(0);
    });

    it('rejects key files without keys, and invalid lines with their line number but not their content', () => {
      expect(keyError(() => parseIdentity('# nothing here\n\n')).message).toMatch(/no age secret key found/);
      const damaged = `# key\n${secret.slice(0, 40)}${secret[40] === 'Q' ? 'P' : 'Q'}${secret.slice(41)}\n`;
      expect(keyError(() => parseIdentity(damaged)).message).toMatch(
        /^the secret key on line 2 is not valid: .*checksum/,
      );
    });

    it('validates stream options', () => {
      expect(() => createEncryptStream({ recipients: [] })).toThrow(/at least one recipient/);
      expect(() => createEncryptStream({ passphrase: '' })).toThrow(/must not be empty/);
      expect(() => createEncryptStream({ passphrase: 'x', workFactor: 23 })).toThrow(/from 1 to 22/);
      expect(() => createDecryptStream({ identities: [] })).toThrow(/at least one identity/);
    });
  });
});
