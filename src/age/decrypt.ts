/** Decryption of the age v1 format as a Transform stream, authenticating the header, every chunk, and the end. */
import { Transform, type TransformCallback } from 'node:stream';
import { AgeError } from './errors.js';
import { checkKeysOrPassphrase, checkWorkFactor } from './options.js';
import { HeaderParser, verifyHeaderMac, type ParsedHeader, type Stanza } from './header.js';
import type { Identity } from './keys.js';
import { TAG_LENGTH } from './primitives.js';
import { DEFAULT_MAX_WORK_FACTOR, SCRYPT_STANZA_TYPE, unwrapWithPassphrase } from './scrypt.js';
import { ChunkOpener, ENCRYPTED_CHUNK_SIZE, PAYLOAD_NONCE_LENGTH, payloadKey } from './stream-cipher.js';
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
  type: X25519Identity,
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

function unwrapWithIdentities(identities: readonly Identity[], stanzas: readonly Stanza[]): Buffer {
  if (stanzas.some((stanza) => stanza.args[0] === SCRYPT_STANZA_TYPE)) {
    if (stanzas.length !== 1) {
      throw new AgeError(
        'MALFORMED_HEADER',
        'the file header is malformed: an scrypt stanza must be the only stanza',
      );
    }
    throw new AgeError(
      'PASSPHRASE_FILE',
      'this file was encrypted with a passphrase, not to public keys: decrypt it with the passphrase',
    );
  }
  for (const stanza of stanzas) {
    for (const identity of identities) {
      const fileKey = identity.unwrap(stanza);
      if (fileKey !== null) return fileKey;
    }
  }
  const x25519 = stanzas.filter((stanza) => stanza.args[0] === 'X25519').length;
  const others = [...new Set(stanzas.filter((s) => s.args[0] !== 'X25519').map((s) => s.args[0]!))];
  const described =
    `${x25519} X25519 recipient${x25519 === 1 ? '' : 's'}` +
    (others.length > 0 ? ` and stanzas of other types (${others.join(', ')})` : '');
  const yours = identities.map((identity) => identity.recipient.toString()).join(', ');
  throw new AgeError(
    'NO_MATCH',
    `no identity matches any recipient of this file: it was encrypted to ${described}, ` +
      `none of them the public key of the given secret key${identities.length === 1 ? '' : 's'} (${yours})`,
  );
}

class DecryptStream extends Transform {
  readonly #options: DecryptOptions;
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
    if (this.#fileKey !== undefined) {
      try {
        this.#payload(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
      return;
    }
    let parsed: ReturnType<HeaderParser['push']>;
    try {
      parsed = this.#parser.push(chunk);
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

  override _flush(callback: TransformCallback): void {
    try {
      this.#finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
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
    if (opener.open(encrypted, true) !== null) {
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
      if (!this.#parser.started)
        throw new AgeError('NOT_AGE_FILE', 'the input is empty: it is not an age file');
      throw new AgeError('TRUNCATED', 'the file is truncated: its header is incomplete');
    }
    const opener = this.#opener;
    if (opener === undefined)
      throw new AgeError('TRUNCATED', 'the file is truncated: the payload is missing');
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
    if (this.#pendingLength === ENCRYPTED_CHUNK_SIZE && opener.open(encrypted, false) !== null) {
      throw new AgeError('TRUNCATED', 'the file is truncated: the last chunk is missing');
    }
    throw this.#damaged(number, true);
  }
}

/**
 * A Transform that decrypts an age v1 file with identities (AGE-SECRET-KEY-1… secret keys) or a passphrase.
 * Plaintext comes out one authenticated 64 KiB chunk at a time, so consumers must treat the stream's 'error'
 * as fatal: a damaged, truncated or extended file fails there, after the chunks before the damage were emitted.
 */
export function createDecryptStream(options: DecryptOptions): Transform {
  return new DecryptStream(options);
}
