/**
 * The textual age v1 header: version line, recipient stanzas, and the MAC line. Encoding for the encryptor, and an
 * incremental, strict parser for the decryptor (canonical base64, 64-column body lines, no stray characters).
 */
import { AgeError } from './errors.js';
import { constantTimeEqual, decodeBase64, encodeBase64, hkdf, hmacSha256 } from './primitives.js';

/** A recipient stanza: `-> arg0 arg1 …` and a binary body. `args[0]` is the stanza type. */
export interface Stanza {
  readonly args: readonly string[];
  readonly body: Buffer;
}

export interface ParsedHeader {
  readonly stanzas: readonly Stanza[];
  /** The header bytes the MAC covers: everything up to and including the `---` of the MAC line. */
  readonly macInput: Buffer;
  readonly mac: Buffer;
  /** The length of the whole header, including the MAC line's line feed. */
  readonly length: number;
}

const VERSION_PREFIX = 'age-encryption.org/';
const VERSION_LINE = 'age-encryption.org/v1';
const COLUMNS = 64;
/** Headers are a few hundred bytes; refuse to buffer more than this looking for the end of one. */
export const MAX_HEADER_LENGTH = 1024 * 1024;
const ARGUMENT = /^[\x21-\x7e]+$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*$/;
const MAC_LINE = /^--- ([A-Za-z0-9+/]{43})$/;

function headerMacKey(fileKey: Uint8Array): Buffer {
  return hkdf(fileKey, Buffer.alloc(0), 'header');
}

function encodeStanza(stanza: Stanza): string {
  if (stanza.args.length === 0 || !stanza.args.every((arg) => ARGUMENT.test(arg))) {
    throw new Error('internal error: invalid stanza arguments');
  }
  let out = `-> ${stanza.args.join(' ')}\n`;
  const body = encodeBase64(stanza.body);
  for (let i = 0; i < body.length; i += COLUMNS) out += `${body.slice(i, i + COLUMNS)}\n`;
  // The body ends with a line shorter than 64 columns, which is empty when the last full line ends it.
  if (body.length % COLUMNS === 0) out += '\n';
  return out;
}

/** The complete header, MAC line included, for stanzas wrapping `fileKey`. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const macInput = Buffer.from(`${VERSION_LINE}\n${stanzas.map(encodeStanza).join('')}---`, 'latin1');
  const mac = hmacSha256(headerMacKey(fileKey), macInput);
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64(mac)}\n`, 'latin1')]);
}

export function verifyHeaderMac(header: ParsedHeader, fileKey: Uint8Array): boolean {
  return constantTimeEqual(hmacSha256(headerMacKey(fileKey), header.macInput), header.mac);
}

function printable(text: string): string {
  const cleaned = text.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 40 ? `${cleaned.slice(0, 40)}…` : cleaned;
}

/** Compares the start of `data` with `expected` on the bytes available so far. */
function startsLike(data: Buffer, expected: string): boolean {
  const n = Math.min(data.length, expected.length);
  return data.toString('latin1', 0, n) === expected.slice(0, n);
}

/** Parses a header from the front of a byte stream fed in pieces. */
export class HeaderParser {
  #held: Buffer = Buffer.alloc(0);
  #lineStart = 0;
  #lineNumber = 0;
  #state: 'version' | 'stanzas' | 'body' = 'version';
  #args: string[] = [];
  #bodyLines: string[] = [];
  readonly #stanzas: Stanza[] = [];

  /** Whether any byte has been fed. */
  get started(): boolean {
    return this.#held.length > 0;
  }

  /**
   * Feeds the next bytes. Returns the header and the bytes after it once the MAC line is complete, null while more
   * input is needed, and throws for input that is not a valid age v1 header.
   */
  push(data: Buffer): { header: ParsedHeader; rest: Buffer } | null {
    const buf = this.#held.length === 0 ? data : Buffer.concat([this.#held, data]);
    if (this.#state === 'version') this.#checkMagic(buf);
    for (;;) {
      const newline = buf.indexOf(0x0a, this.#lineStart);
      if (newline === -1) break;
      const start = this.#lineStart;
      this.#lineStart = newline + 1;
      this.#lineNumber++;
      const header = this.#line(buf.toString('latin1', start, newline), buf, start);
      if (header) return { header, rest: buf.subarray(newline + 1) };
    }
    if (buf.length > MAX_HEADER_LENGTH) throw this.#malformed('the header is too long');
    // Keep a private copy: the caller may reuse its buffer once we return.
    this.#held = buf === data ? Buffer.from(data) : buf;
    return null;
  }

  #checkMagic(buf: Buffer): void {
    if (startsLike(buf, VERSION_PREFIX)) return;
    throw new AgeError(
      'NOT_AGE_FILE',
      'this is not an age encrypted file: it does not start with "age-encryption.org/"',
    );
  }

  #malformed(detail: string): AgeError {
    return new AgeError(
      'MALFORMED_HEADER',
      `the file header is malformed (line ${this.#lineNumber}): ${detail}`,
    );
  }

  #line(line: string, buf: Buffer, start: number): ParsedHeader | null {
    switch (this.#state) {
      case 'version':
        if (line === `${VERSION_LINE}\r`) {
          throw this.#malformed(
            'it has CRLF line endings: the file was altered, perhaps by a text-mode transfer',
          );
        }
        if (line !== VERSION_LINE) {
          throw new AgeError(
            'UNSUPPORTED_VERSION',
            `unsupported age format version "${printable(line.slice(VERSION_PREFIX.length))}": only v1 is supported`,
          );
        }
        this.#state = 'stanzas';
        return null;
      case 'stanzas': {
        if (line.startsWith('-> ')) {
          const args = line.slice(3).split(' ');
          if (!args.every((arg) => ARGUMENT.test(arg))) throw this.#malformed('invalid stanza arguments');
          this.#args = args;
          this.#bodyLines = [];
          this.#state = 'body';
          return null;
        }
        if (line.startsWith('---')) {
          const match = MAC_LINE.exec(line);
          const mac = match ? decodeBase64(match[1]!) : null;
          if (mac === null) throw this.#malformed('invalid MAC line');
          if (this.#stanzas.length === 0) throw this.#malformed('the header has no recipient stanzas');
          return {
            stanzas: this.#stanzas,
            macInput: Buffer.from(buf.subarray(0, start + 3)),
            mac,
            length: start + line.length + 1,
          };
        }
        throw this.#malformed('expected a recipient stanza ("-> ") or the MAC line ("--- ")');
      }
      case 'body': {
        if (line.length > COLUMNS || !BASE64_LINE.test(line))
          throw this.#malformed('invalid stanza body line');
        this.#bodyLines.push(line);
        if (line.length === COLUMNS) return null;
        const body = decodeBase64(this.#bodyLines.join(''));
        if (body === null) throw this.#malformed('the stanza body is not canonical base64');
        this.#stanzas.push({ args: this.#args, body });
        this.#state = 'stanzas';
        return null;
      }
    }
  }
}
