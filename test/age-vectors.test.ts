/**
 * The age community test vectors (C2SP CCTV, the `cctv-age` package): every one of them through our decryptor,
 * fed whole and in pieces that cut across the 64 KiB chunk edges, with its expectation checked: the SHA-256 of the
 * plaintext on success, the kind of failure otherwise, and for a payload failure the SHA-256 of what was released
 * before it. The hybrid (post-quantum) vectors also run with each ML-KEM-768 implementation the action can use.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflateSync } from 'node:zlib';
import * as cctv from 'cctv-age';
import { describe, expect, it } from 'vitest';
import {
  AgeError,
  type AgeErrorCode,
  createDecryptStream,
  type DecryptOptions,
  generateIdentity,
  HybridIdentity,
  type Identity,
  parseIdentity,
} from '../src/age/index.js';
import { bech32Decode } from '../src/age/bech32.js';
import { NOBLE_MLKEM, NODE_MLKEM, type MlKem768 } from '../src/age/mlkem.js';

type Expectation =
  'success' | 'no match' | 'HMAC failure' | 'header failure' | 'payload failure' | 'armor failure';

/** Which of our error codes each kind of failure the vectors name covers. */
const FAILURE_CODES: Record<Exclude<Expectation, 'success'>, readonly AgeErrorCode[]> = {
  'no match': ['NO_MATCH', 'WRONG_PASSPHRASE', 'NOT_PASSPHRASE_FILE', 'PASSPHRASE_FILE'],
  'HMAC failure': ['HEADER_MAC'],
  'header failure': [
    'NOT_AGE_FILE',
    'UNSUPPORTED_VERSION',
    'MALFORMED_HEADER',
    'TRUNCATED_HEADER',
    'WORK_FACTOR_TOO_HIGH',
  ],
  'payload failure': ['TRUNCATED', 'DAMAGED', 'TRAILING_DATA'],
  'armor failure': ['INVALID_ARMOR'],
};

interface Vector {
  readonly name: string;
  readonly expect: Expectation;
  readonly payload: string | undefined;
  readonly identities: readonly string[];
  readonly passphrases: readonly string[];
  readonly armored: boolean;
  readonly file: Buffer;
}

function parseVector(name: string, data: Uint8Array): Vector {
  const bytes = Buffer.from(data);
  const split = bytes.indexOf('\n\n');
  const fields = bytes
    .toString('utf8', 0, split)
    .split('\n')
    .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const);
  const all = (key: string) => fields.filter(([field]) => field === key).map(([, value]) => value);
  const body = bytes.subarray(split + 2);
  return {
    name,
    expect: all('expect')[0] as Expectation,
    payload: all('payload')[0],
    identities: all('identity'),
    passphrases: all('passphrase'),
    armored: all('armored')[0] === 'yes',
    file: all('compressed')[0] === 'zlib' ? inflateSync(body) : body,
  };
}

const vectors = Object.entries(cctv as Record<string, Uint8Array>)
  .map(([name, data]) => parseVector(name, data))
  .sort((a, b) => a.name.localeCompare(b.name));

/** Whole, and in two patterns of pieces that put the cuts on, just before and just after the chunk edges. */
const FEEDS: Record<string, readonly number[] | undefined> = {
  whole: undefined,
  'odd pieces': [1, 7, 65535, 65537, 131072, 100003, 16],
  'pieces shifted by a tag': [17, 65536, 65553, 1, 65551, 3],
};

function pieces(data: Buffer, sizes: readonly number[] | undefined): Readable {
  if (!sizes) return Readable.from([data]);
  function* generate(): Generator<Buffer> {
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const size = sizes![i % sizes!.length]!;
      yield data.subarray(pos, pos + size);
      pos += size;
    }
  }
  return Readable.from(generate());
}

interface Outcome {
  readonly error: unknown;
  /** SHA-256 of everything the stream released, before an error too. */
  readonly released: string;
  readonly releasedBytes: number;
}

/**
 * Decrypts, counting what the stream releases where it releases it: a consumer reading at its own pace may not see
 * the chunks pushed in the same turn as the error (the stream is destroyed with them in its buffer).
 */
async function decrypt(
  file: Buffer,
  options: DecryptOptions,
  sizes: readonly number[] | undefined,
): Promise<Outcome> {
  const hash = createHash('sha256');
  let releasedBytes = 0;
  const stream = createDecryptStream(options);
  const push = stream.push.bind(stream);
  stream.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
    if (chunk) {
      hash.update(chunk);
      releasedBytes += chunk.length;
    }
    return push(chunk, encoding);
  };
  let error: unknown;
  try {
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
    await pipeline(pieces(file, sizes), stream, sink);
  } catch (caught) {
    error = caught;
  }
  return { error, released: hash.digest('hex'), releasedBytes };
}

function check(vector: Vector, outcome: Outcome): void {
  if (vector.expect === 'success') {
    expect(outcome.error, String(outcome.error)).toBeUndefined();
    expect(outcome.released).toBe(vector.payload);
    return;
  }
  expect(outcome.error, 'decryption succeeded where it must fail').toBeInstanceOf(AgeError);
  const error = outcome.error as AgeError;
  expect(FAILURE_CODES[vector.expect], `${error.code}: ${error.message}`).toContain(error.code);
  if (vector.expect === 'payload failure') expect(outcome.released).toBe(vector.payload);
  else expect(outcome.releasedBytes).toBe(0);
}

/** A key that opens nothing, for the vectors that fail before any key is tried and so give none. */
const stranger = parseIdentity(generateIdentity().identity);

function optionSets(vector: Vector, identities: () => Identity[]): DecryptOptions[] {
  if (vector.identities.length > 0) return [{ identities: identities() }];
  if (vector.passphrases.length > 0) return vector.passphrases.map((passphrase) => ({ passphrase }));
  return [{ identities: stranger }];
}

describe('the age community test vectors (cctv-age)', () => {
  it('are all here', () => {
    expect(vectors).toHaveLength(143);
    const kinds: Record<string, number> = {};
    for (const vector of vectors) kinds[vector.expect] = (kinds[vector.expect] ?? 0) + 1;
    expect(kinds).toEqual({
      success: 26,
      'no match': 13,
      'HMAC failure': 1,
      'header failure': 62,
      'payload failure': 19,
      'armor failure': 22,
    });
    expect(vectors.filter((vector) => vector.armored)).toHaveLength(33);
    expect(vectors.filter((vector) => vector.identities.some((key) => key.includes('-PQ-')))).toHaveLength(
      19,
    );
  });

  describe.each(Object.entries(FEEDS))('fed %s', (_feed, sizes) => {
    it.each(vectors.map((vector) => [vector.name, vector] as const))('%s', async (_name, vector) => {
      const options = optionSets(vector, () => parseIdentity(vector.identities.join('\n')));
      for (const option of options) check(vector, await decrypt(vector.file, option, sizes));
    });
  });

  const hybrid = vectors.filter((vector) => vector.identities.some((key) => key.includes('-PQ-')));
  const implementations: [string, MlKem768][] = [['@noble/post-quantum', NOBLE_MLKEM]];
  if (NODE_MLKEM) implementations.push(['node:crypto', NODE_MLKEM]);

  it('run on Node with ML-KEM in node:crypto', () => {
    expect(NODE_MLKEM?.name).toBe('node:crypto');
  });

  describe.each(implementations)('hybrid vectors with ML-KEM-768 from %s', (_name, kem) => {
    /** The vector's keys, the hybrid ones on this implementation. */
    function identities(vector: Vector): Identity[] {
      return vector.identities.flatMap((key) =>
        key.includes('-PQ-') ? [new HybridIdentity(bech32Decode(key).data, kem)] : parseIdentity(key),
      );
    }

    it.each(hybrid.map((vector) => [vector.name, vector] as const))('%s', async (_name, vector) => {
      for (const sizes of Object.values(FEEDS)) {
        check(vector, await decrypt(vector.file, { identities: identities(vector) }, sizes));
      }
    });
  });
});
