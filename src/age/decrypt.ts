/**
 * Decryption of the age v1 format, binary or ASCII-armored, as a Transform stream, authenticating the header,
 * every chunk, and the end.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { ArmorDecoder } from './armor.js';
import { AgeError } from './errors.js';
import { HeaderParser, verifyHeaderMac, type ParsedHeader } from './header.js';
import { HybridIdentity } from './hybrid.js';
import { FormatSniffer } from './input-format.js';
import type { Identity } from './keys.js';
import { checkKeysOrPassphrase, checkWorkFactor } from './options.js';
import { TAG_LENGTH } from './primitives.js';
import { DEFAULT_MAX_WORK_FACTOR, unwrapWithPassphrase } from './scrypt.js';
import { ChunkOpener, ENCRYPTED_CHUNK_SIZE, PAYLOAD_NONCE_LENGTH, payloadKey } from './stream-cipher.js';
import { unwrapWithIdentities } from './unwrap.js';
import { X25519Identity } from './x25519.js';

export type DecryptOptions =
  | { readonly identities: readonly Identity[] }
  | {
      readonly passphrase: string;
      /** The highest scrypt work factor (log2 N) to accept; 22 unless given, like the age CLI. */
      readonly maxWorkFactor?: number;
    };

const MAX_ACCEPTED_WORK_FACTOR = 30;

const IDENTITIES = {
  name: 'identities',
  singular: 'identity',
  purpose: 'decryption',
  types: [X25519Identity, HybridIdentity],
  parser: 'parseIdentity',
} as const;

function validate(options: DecryptOptions): void {
  checkKeysOrPassphrase(options, IDENTITIES);
  if ('passphrase' in options) {
    checkWorkFactor(
      options.maxWorkFactor ?? DEFAULT_MAX_WORK_FACTOR,
      MAX_ACCEPTED_WORK_FACTOR,
      'maxWorkFactor',
    );
  }
}

class DecryptStream extends Transform {
  readonly #options: DecryptOptions;
  readonly #sniffer = new FormatSniffer();
  #format: 'unknown' | 'binary' = 'unknown';
  #armor: ArmorDecoder | undefined;
  readonly #parser = new HeaderParser();
  #headerLength = 0;
  #fileKey: Buffer | undefined;
  readonly #nonce = Buffer.alloc(PAYLOAD_NONCE_LENGTH);
  #nonceLength = 0;
  #opener: ChunkOpener | undefined;
  /** Ciphertext of at most one chunk, held until we know whether more input follows it. */
  readonly #pending = Buffer.allocUnsafe(ENCRYPTED_CHUNK_SIZE);
  #pendingLength = 0;

  constructor(options: DecryptOptions) {
    validate(options);
    super();
    this.#options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data: Buffer;
    try {
      data = this.#decode(chunk, false);
      if (this.#fileKey !== undefined) {
        this.#payload(data);
        callback();
        return;
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#header(data, callback);
  }

  override _flush(callback: TransformCallback): void {
    const finish = (error?: Error | null): void => {
      if (error) {
        callback(error);
        return;
      }
      try {
        this.#finish();
        callback();
      } catch (finishError) {
        callback(finishError as Error);
      }
    };
    let rest: Buffer;
    try {
      rest = this.#decode(Buffer.alloc(0), true);
      if (this.#fileKey !== undefined || rest.length === 0) {
        if (rest.length > 0) this.#payload(rest);
        finish();
        return;
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#header(rest, finish);
  }

  /** The binary bytes of the next input: as they came, or out of the armor once the first bytes have told. */
  #decode(chunk: Buffer, ended: boolean): Buffer {
    if (this.#format === 'binary') return chunk;
    if (this.#armor) return ended ? this.#armor.end() : this.#armor.push(chunk);
    const format = this.#sniffer.push(chunk, ended);
    if (format === undefined) return Buffer.alloc(0);
    if (format.kind === 'binary') {
      this.#format = 'binary';
      return format.data;
    }
    this.#armor = format.decoder;
    return ended ? Buffer.concat([format.data, format.decoder.end()]) : format.data;
  }

  /** Feeds the header parser; once the header is complete, unlocks the file key and goes on with the payload. */
  #header(data: Buffer, callback: TransformCallback): void {
    let parsed: ReturnType<HeaderParser['push']>;
    try {
      parsed = data.length === 0 ? null : this.#parser.push(data);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (parsed === null) {
      callback();
      return;
    }
    const { header, rest } = parsed;
    this.#unlock(header).then(
      () => {
        try {
          this.#payload(rest);
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
      (error: unknown) => {
        callback(error as Error);
      },
    );
  }

  async #unlock(header: ParsedHeader): Promise<void> {
    const options = this.#options;
    const fileKey =
      'identities' in options
        ? unwrapWithIdentities(options.identities, header.stanzas)
        : await unwrapWithPassphrase(
            options.passphrase,
            header.stanzas,
            options.maxWorkFactor ?? DEFAULT_MAX_WORK_FACTOR,
          );
    if (!verifyHeaderMac(header, fileKey)) {
      throw new AgeError(
        'HEADER_MAC',
        'the header MAC does not match: the file header is damaged or was tampered with',
      );
    }
    this.#fileKey = fileKey;
    this.#headerLength = header.length;
  }

  #payload(data: Buffer): void {
    let pos = 0;
    if (this.#opener === undefined) {
      pos = data.copy(this.#nonce, this.#nonceLength);
      this.#nonceLength += pos;
      if (this.#nonceLength < PAYLOAD_NONCE_LENGTH) return;
      this.#opener = new ChunkOpener(payloadKey(this.#fileKey!, this.#nonce));
    }
    while (pos < data.length) {
      if (this.#pendingLength === ENCRYPTED_CHUNK_SIZE) {
        // More input follows the full chunk we held back, so it must not be the final one.
        this.#openMiddle(this.#pending);
        this.#pendingLength = 0;
      }
      if (this.#pendingLength === 0 && data.length - pos > ENCRYPTED_CHUNK_SIZE) {
        this.#openMiddle(data.subarray(pos, pos + ENCRYPTED_CHUNK_SIZE));
        pos += ENCRYPTED_CHUNK_SIZE;
        continue;
      }
      const copied = data.copy(this.#pending, this.#pendingLength, pos);
      this.#pendingLength += copied;
      pos += copied;
    }
  }

  #openMiddle(encrypted: Buffer): void {
    const opener = this.#opener!;
    const plaintext = opener.open(encrypted, false);
    if (plaintext !== null) {
      this.push(plaintext);
      return;
    }
    const number = opener.index + 1;
    const final = opener.open(encrypted, true);
    if (final !== null) {
      // The file's authentic plaintext ends here; what follows it is not part of it.
      this.push(final);
      throw new AgeError(
        'TRAILING_DATA',
        `the file has data after its final chunk (chunk ${number}): something was appended to it, or it is damaged`,
      );
    }
    throw this.#damaged(number, false);
  }

  #damaged(number: number, atEnd: boolean): AgeError {
    const offset = this.#headerLength + PAYLOAD_NONCE_LENGTH + (number - 1) * ENCRYPTED_CHUNK_SIZE;
    return new AgeError(
      'DAMAGED',
      `chunk ${number} failed authentication: the file is damaged or was tampered with` +
        (atEnd
          ? `, or truncated (the chunk starts at byte ${offset} and is the last one in the input)`
          : ` (the chunk starts at byte ${offset})`),
    );
  }

  #finish(): void {
    if (this.#fileKey === undefined) {
      if (!this.#parser.started) {
        const what = this.#armor ? 'the ASCII armor holds no data' : 'the input is empty';
        throw new AgeError('NOT_AGE_FILE', `${what}: it is not an age file`);
      }
      throw new AgeError('TRUNCATED_HEADER', 'the file is truncated: its header is incomplete');
    }
    const opener = this.#opener;
    if (opener === undefined)
      throw new AgeError('TRUNCATED_HEADER', 'the file is truncated: the payload is missing');
    if (this.#pendingLength === 0)
      throw new AgeError('TRUNCATED', 'the file is truncated: the last chunk is missing');
    const number = opener.index + 1;
    if (this.#pendingLength < TAG_LENGTH) {
      throw new AgeError(
        'TRUNCATED',
        `the file is truncated or damaged: chunk ${number} is shorter than its authentication tag`,
      );
    }
    const encrypted = this.#pending.subarray(0, this.#pendingLength);
    const plaintext = opener.open(encrypted, true);
    if (plaintext !== null) {
      if (plaintext.length === 0 && number > 1) {
        throw new AgeError(
          'DAMAGED',
          'the file is invalid: its final chunk is empty, which age allows only when the whole plaintext is empty',
        );
      }
      this.push(plaintext);
      return;
    }
    const middle = this.#pendingLength === ENCRYPTED_CHUNK_SIZE ? opener.open(encrypted, false) : null;
    if (middle !== null) {
      // An authentic chunk, only not the last: what is missing comes after it.
      this.push(middle);
      throw new AgeError('TRUNCATED', 'the file is truncated: the last chunk is missing');
    }
    throw this.#damaged(number, true);
  }
}

/**
 * A Transform that decrypts an age v1 file, binary or ASCII-armored (`age -a`), with identities
 * (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1… secret keys) or a passphrase.
 * Plaintext comes out one authenticated 64 KiB chunk at a time, so consumers must treat the stream's 'error'
 * as fatal: a damaged, truncated or extended file fails there, after the chunks before the damage were emitted.
 */
export function createDecryptStream(options: DecryptOptions): Transform {
  return new DecryptStream(options);
}
