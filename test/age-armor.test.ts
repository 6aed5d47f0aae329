/**
 * ASCII-armored age files read by our decryptor: what the armor may vary (line ends, whitespace around it, the
 * piece sizes it arrives in) and the message for each thing that is wrong, which names the line. The community
 * vectors (age-vectors.test.ts) decide what is valid; this file checks what a person is told.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { armor } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AgeError,
  createDecryptStream,
  createEncryptStream,
  generateIdentity,
  type Identity,
  parseIdentity,
  parseRecipient,
} from '../src/age/index.js';

function pieces(data: Buffer, size: number): Readable {
  function* generate(): Generator<Buffer> {
    for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
  }
  return Readable.from(generate());
}

async function decrypt(file: Buffer, identities: Identity[], size = file.length || 1): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    pieces(file, size),
    createDecryptStream({ identities }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    },
  );
  return Buffer.concat(parts);
}

async function failure(file: Buffer, identities: Identity[]): Promise<AgeError> {
  const error = await decrypt(file, identities).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AgeError);
  return error as AgeError;
}

async function encrypt(plaintext: Buffer, recipient: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([plaintext]),
    createEncryptStream({ recipients: [parseRecipient(recipient)] }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    },
  );
  return Buffer.concat(parts);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('ASCII-armored age files', () => {
  const key = generateIdentity();
  const identities = parseIdentity(key.identity);
  let data: Buffer;
  let text: string;

  beforeAll(async () => {
    // A file whose length leaves one byte for the last base64 group, so that the armor ends in "==".
    const first = await encrypt(randomBytes(200_000), key.recipient);
    data = randomBytes(200_000 + ((1 - (first.length % 3) + 3) % 3));
    const encrypted = await encrypt(data, key.recipient);
    expect(encrypted.length % 3).toBe(1);
    text = armor.encode(encrypted);
  });
  const file = (armored: string) => Buffer.from(armored, 'latin1');
  const lines = () => text.split('\n');

  it('decrypt whatever the piece sizes, with LF or CRLF, whitespace around, and no final line end', async () => {
    for (const variant of [
      text,
      text.replaceAll('\n', '\r\n'),
      `\n \t\r\n${text}\n\n  `,
      text.trimEnd(),
      `${text.trimEnd()}\r`,
      `${text.trimEnd()}  \t\n`,
    ]) {
      for (const size of [1, 63, 65, 4097, 65536]) {
        expect((await decrypt(file(variant), identities, size)).equals(data)).toBe(true);
      }
    }
  });

  it('name the line that is wrong, and what is wrong with it', async () => {
    const all = lines();
    const cases: [string, RegExp][] = [
      [[all[0], '', ...all.slice(1)].join('\n'), /\(line 2\): it is empty \(PEM headers and blank lines/],
      [[all[0], `${all[1]} `, ...all.slice(2)].join('\n'), /\(line 2\): it contains whitespace/],
      [[all[0], all[1]!.slice(0, 40), ...all.slice(2)].join('\n'), /\(line 3\): the short line before it/],
      [[all[0], `${all[1]}A`, ...all.slice(2)].join('\n'), /\(line 2\): it is longer than 64 characters/],
      [[all[0], `${all[1]!.slice(0, 63)}!`, ...all.slice(2)].join('\n'), /\(line 2\): .*not base64 \("!"\)/],
      [text.replace('-----BEGIN AGE', '-----BEGIN  AGE'), /\(line 1\): it must be exactly "-----BEGIN AGE/],
      [
        `# my backup\n${text}`,
        /there is text before its "-----BEGIN AGE ENCRYPTED FILE-----" line \(12 bytes\)/,
      ],
      [`${text}trailing\n`, /\(line \d+\): there is text after the "-----END AGE ENCRYPTED FILE-----" line/],
      [
        all.slice(0, -2).join('\n'),
        /it ends without its "-----END AGE ENCRYPTED FILE-----" line, so the file is/,
      ],
    ];
    for (const [armored, message] of cases) {
      const error = await failure(file(armored), identities);
      expect(error.code, error.message).toBe('INVALID_ARMOR');
      expect(error.message).toMatch(/^the ASCII armor is invalid/);
      expect(error.message).toMatch(message);
    }
  });

  it('check the padding and the unused bits of the last line', async () => {
    const all = lines();
    const last = all.length - 3;
    const withLast = (line: string) => [...all.slice(0, last), line, ...all.slice(last + 1)].join('\n');
    expect(all[last]).toMatch(/[A-Za-z0-9+/]==$/);
    const unpadded = withLast(all[last]!.slice(0, -2));
    expect((await failure(file(unpadded), identities)).message).toMatch(
      new RegExp(`\\(line ${last + 1}\\): its base64 is not padded to a multiple of 4`),
    );
    // Before "==", a character carries two bits of the byte and four unused ones, which must be zero.
    const char = all[last]!.at(-3)!;
    const changed = BASE64[BASE64.indexOf(char) | 1]!;
    const nonCanonical = withLast(`${all[last]!.slice(0, -3)}${changed}==`);
    expect((await failure(file(nonCanonical), identities)).message).toMatch(
      new RegExp(`\\(line ${last + 1}\\): its base64 is not canonical`),
    );
  });

  it('say so when the armor holds nothing', async () => {
    const error = await failure(
      file(`${text.split('\n')[0]}\n-----END AGE ENCRYPTED FILE-----\n`),
      identities,
    );
    expect(error).toMatchObject({ code: 'NOT_AGE_FILE' });
    expect(error.message).toBe('the ASCII armor holds no data: it is not an age file');
  });
});
