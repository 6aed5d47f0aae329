/**
 * The ASCII armor of age files (`age -a`): strict PEM with the label "AGE ENCRYPTED FILE", 64-column lines of
 * padded canonical base64, no headers, LF or CRLF line endings, and nothing but whitespace around it. Decoded as a
 * stream, one line at a time, so an armored backup of any size needs no more memory than a binary one.
 */
import { AgeError } from './errors.js';

export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
export const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
/** A line may not grow past this without a line feed: the longest valid one is a full line and a CR. */
const MAX_LINE = COLUMNS + 1;
const LF = 0x0a;
const CR = 0x0d;

/** Space, tab, line feed, vertical tab, form feed and carriage return: what may surround the armor. */
export function isWhitespace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function base64Class(byte: number): 'char' | 'pad' | 'space' | 'other' {
  if (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2b ||
    byte === 0x2f
  ) {
    return 'char';
  }
  if (byte === 0x3d) return 'pad';
  return isWhitespace(byte) ? 'space' : 'other';
}

function quoted(line: Buffer): string {
  const text = line.toString('latin1').replace(/[^\x20-\x7e]/g, '?');
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

/** Decodes an armored age file fed in pieces: `push` returns the bytes each piece completes, `end` checks the end. */
export class ArmorDecoder {
  #state: 'leading' | 'begin' | 'data' | 'end' | 'trailing' = 'leading';
  #partial: Buffer = Buffer.alloc(0);
  #lineNumber = 0;

  push(chunk: Buffer): Buffer {
    const data = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, chunk]);
    const encoded: Buffer[] = [];
    let pos = 0;
    while (pos < data.length) {
      if (this.#state === 'leading' || this.#state === 'trailing') {
        pos = this.#skipWhitespace(data, pos);
        continue;
      }
      const newline = data.indexOf(LF, pos);
      if (newline === -1) break;
      const end = newline > pos && data[newline - 1] === CR ? newline - 1 : newline;
      this.#lineNumber++;
      const line = data.subarray(pos, end);
      if (this.#line(line)) encoded.push(line);
      pos = newline + 1;
    }
    this.#partial = Buffer.from(data.subarray(pos));
    if (this.#partial.length > MAX_LINE) {
      this.#lineNumber++;
      throw this.#invalid(`it is longer than ${COLUMNS} characters`);
    }
    return this.#decode(encoded);
  }

  /** Lines of whole 4-character groups decode as one: only the last may carry padding. */
  #decode(lines: Buffer[]): Buffer {
    if (lines.length === 0) return Buffer.alloc(0);
    return Buffer.from(Buffer.concat(lines).toString('latin1'), 'base64');
  }

  /** Checks that the input ended after the END line; a last line without a line feed is read here. */
  end(): Buffer {
    const lines: Buffer[] = [];
    if (this.#partial.length > 0 && this.#state !== 'trailing') {
      this.#lineNumber++;
      if (this.#line(this.#partial)) lines.push(this.#partial);
    }
    if (this.#state !== 'trailing') {
      throw new AgeError(
        'INVALID_ARMOR',
        `the ASCII armor is invalid: it ends without its "${ARMOR_END}" line, so the file is truncated`,
      );
    }
    return this.#decode(lines);
  }

  #skipWhitespace(data: Buffer, from: number): number {
    let pos = from;
    while (pos < data.length && isWhitespace(data[pos]!)) {
      if (data[pos] === LF) this.#lineNumber++;
      pos++;
    }
    if (pos === data.length) return pos;
    if (this.#state === 'trailing') {
      throw this.#invalid(
        `there is text after the "${ARMOR_END}" line; only whitespace may follow it`,
        this.#lineNumber + 1,
      );
    }
    this.#state = 'begin';
    return pos;
  }

  /** Checks one line; true when it is a data line, whose base64 the caller decodes. */
  #line(line: Buffer): boolean {
    const text = line.length <= MAX_LINE ? line.toString('latin1') : '';
    // Whitespace after the END line, on it as on the lines after it, is outside the armor.
    const ends = text.replace(/[ \t\v\f\r]+$/, '') === ARMOR_END;
    switch (this.#state) {
      case 'begin':
        if (text !== ARMOR_BEGIN)
          throw this.#invalid(`it must be exactly "${ARMOR_BEGIN}", not ${quoted(line)}`);
        this.#state = 'data';
        return false;
      case 'data':
        if (ends) {
          this.#state = 'trailing';
          return false;
        }
        this.#dataLine(line);
        return true;
      default:
        if (!ends) {
          throw this.#invalid(
            `the short line before it must be the last one, followed by "${ARMOR_END}", not ${quoted(line)}`,
          );
        }
        this.#state = 'trailing';
        return false;
    }
  }

  #dataLine(line: Buffer): void {
    if (line.length === 0) throw this.#invalid('it is empty (PEM headers and blank lines are not allowed)');
    let padding = 0;
    for (const byte of line) {
      const kind = base64Class(byte);
      if (kind === 'char' && padding === 0) continue;
      if (kind === 'pad') {
        padding++;
        continue;
      }
      if (kind === 'space') throw this.#invalid('it contains whitespace');
      throw this.#invalid(
        kind === 'char'
          ? 'it has base64 after "=" padding'
          : `it contains a character that is not base64 (${quoted(Buffer.of(byte))})`,
      );
    }
    if (line.length > COLUMNS) throw this.#invalid(`it is longer than ${COLUMNS} characters`);
    if (line.length < COLUMNS || padding > 0) this.#state = 'end';
    if (line.length % 4 !== 0 || padding > 2) {
      throw this.#invalid(
        `its base64 is not padded to a multiple of 4 characters (${line.length}), as armor requires with "="`,
      );
    }
    // Only a padded group can have unused bits; base64 without them re-encodes to itself.
    if (padding > 0) {
      const text = line.toString('latin1');
      if (Buffer.from(text, 'base64').toString('base64') !== text) {
        throw this.#invalid('its base64 is not canonical (the bits before the "=" padding are not zero)');
      }
    }
  }

  #invalid(detail: string, lineNumber = this.#lineNumber): AgeError {
    return new AgeError('INVALID_ARMOR', `the ASCII armor is invalid (line ${lineNumber}): ${detail}`);
  }
}
