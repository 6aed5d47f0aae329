/**
 * Whether an age file is binary or ASCII-armored, decided from its first bytes as the age CLI does: binary files
 * start with the version line, armored ones with "-----" after optional whitespace. Anything else is not an age
 * file, unless the armor's BEGIN line follows a little text, which is then named as what is wrong.
 */
import { ARMOR_BEGIN, ArmorDecoder, isWhitespace } from './armor.js';
import { AgeError } from './errors.js';

const VERSION_PREFIX = 'age-encryption.org/';
const DASHES = '-----';
/** How far to look for a BEGIN line behind other text, and for the end of leading whitespace. */
const SNIFF_LIMIT = 4096;

/** Compares the start of `data` with `expected` on the bytes available so far. */
function startsLike(data: Buffer, from: number, expected: string): boolean {
  const n = Math.min(data.length - from, expected.length);
  return data.toString('latin1', from, from + n) === expected.slice(0, n);
}

type Verdict = 'binary' | 'armored' | 'neither' | undefined;

function judge(data: Buffer, ended: boolean): Verdict {
  if (data.length > 0 && startsLike(data, 0, VERSION_PREFIX)) return 'binary';
  let start = 0;
  while (start < data.length && isWhitespace(data[start]!)) start++;
  if (start === data.length) return ended || data.length >= SNIFF_LIMIT ? 'neither' : undefined;
  if (!startsLike(data, start, DASHES)) return 'neither';
  return data.length - start >= DASHES.length ? 'armored' : ended ? 'neither' : undefined;
}

/** What the first bytes say: binary input as it came, or an armor decoder with the bytes it already decoded. */
export type InputFormat =
  | { readonly kind: 'binary'; readonly data: Buffer }
  | { readonly kind: 'armored'; readonly decoder: ArmorDecoder; readonly data: Buffer };

export class FormatSniffer {
  readonly #held: Buffer[] = [];
  #length = 0;

  /** Feeds bytes; returns the format once it is known, undefined while more bytes are needed. */
  push(chunk: Buffer, ended = false): InputFormat | undefined {
    if (chunk.length > 0) {
      // Keep a private copy: the caller may reuse its buffer once we return.
      this.#held.push(Buffer.from(chunk));
      this.#length += chunk.length;
    }
    const data = Buffer.concat(this.#held, this.#length);
    const verdict = judge(data, ended);
    if (verdict === undefined) return undefined;
    if (verdict === 'binary' || (data.length === 0 && ended)) return { kind: 'binary', data };
    if (verdict === 'armored') {
      const decoder = new ArmorDecoder();
      return { kind: 'armored', decoder, data: decoder.push(data) };
    }
    return this.#neither(data, ended);
  }

  #neither(data: Buffer, ended: boolean): InputFormat | undefined {
    if (!ended && data.length < SNIFF_LIMIT) return undefined;
    const begin = data.subarray(0, SNIFF_LIMIT).indexOf(ARMOR_BEGIN, 0, 'latin1');
    if (begin > 0) {
      throw new AgeError(
        'INVALID_ARMOR',
        `the ASCII armor is invalid: there is text before its "${ARMOR_BEGIN}" line (${begin} bytes); ` +
          'only whitespace may come before it',
      );
    }
    throw new AgeError(
      'NOT_AGE_FILE',
      `this is not an age encrypted file: it starts with neither "${VERSION_PREFIX}" nor "${ARMOR_BEGIN}"`,
    );
  }
}
