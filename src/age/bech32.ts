/**
 * Bech32 (BIP 173) as age uses it: no length limit, and a string is either all lowercase or all uppercase, with
 * the checksum computed over the lowercase form. Error messages never repeat the input, which may be a secret key.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const;
const CHECKSUM_LENGTH = 6;

export type Bech32Problem = 'mixed-case' | 'no-separator' | 'invalid-character' | 'checksum' | 'padding';

export class Bech32Error extends Error {
  constructor(
    readonly problem: Bech32Problem,
    message: string,
  ) {
    super(message);
    this.name = 'Bech32Error';
  }
}

export interface Bech32Decoded {
  /** The human-readable part, in the case it was written in. */
  readonly hrp: string;
  readonly data: Buffer;
  readonly uppercase: boolean;
}

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const value of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
    }
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const lower = hrp.toLowerCase();
  const out: number[] = [];
  for (let i = 0; i < lower.length; i++) out.push(lower.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < lower.length; i++) out.push(lower.charCodeAt(i) & 31);
  return out;
}

function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | null {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    acc = ((acc << from) | value) & 0xffffff;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return null;
  }
  return out;
}

/** Encodes bytes with the given HRP; an uppercase HRP gives an all-uppercase string. */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const upper = hrp === hrp.toUpperCase() && hrp !== hrp.toLowerCase();
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true)!;
  const mod = polymod([...hrpExpand(lowerHrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  let out = `${lowerHrp}1`;
  for (const word of words) out += CHARSET[word]!;
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31]!;
  return upper ? out.toUpperCase() : out;
}

export function bech32Decode(text: string): Bech32Decoded {
  const lower = text.toLowerCase();
  const uppercase = text === text.toUpperCase() && text !== lower;
  if (text !== lower && !uppercase) {
    throw new Bech32Error('mixed-case', 'it mixes uppercase and lowercase letters');
  }
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || separator + 1 + CHECKSUM_LENGTH > lower.length) {
    throw new Bech32Error('no-separator', 'it is too short or has no "1" separator');
  }
  const hrp = text.slice(0, separator);
  for (let i = 0; i < hrp.length; i++) {
    const code = hrp.charCodeAt(i);
    if (code < 33 || code > 126)
      throw new Bech32Error('invalid-character', 'it contains an invalid character');
  }
  const words: number[] = [];
  for (let i = separator + 1; i < lower.length; i++) {
    const word = CHARSET.indexOf(lower[i]!);
    if (word === -1) {
      throw new Bech32Error(
        'invalid-character',
        `it contains a character Bech32 does not use at position ${i + 1} (only ${CHARSET} are valid)`,
      );
    }
    words.push(word);
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) {
    throw new Bech32Error('checksum', 'its checksum does not match: it is mistyped or truncated');
  }
  const bytes = convertBits(words.slice(0, -CHECKSUM_LENGTH), 5, 8, false);
  if (bytes === null) throw new Bech32Error('padding', 'its data part has invalid padding');
  return { hrp, data: Buffer.from(bytes), uppercase };
}
