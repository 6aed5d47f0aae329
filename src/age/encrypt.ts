/** Encryption to the age v1 format as a Transform stream: plaintext in, header then payload out. */
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { invalidOptions } from './errors.js';
import { checkKeysOrPassphrase, checkWorkFactor } from './options.js';
import { encodeHeader, type Stanza } from './header.js';
import { HybridRecipient } from './hybrid.js';
import { checkRecipientMix, type Recipient } from './keys.js';
import { FILE_KEY_LENGTH } from './primitives.js';
import { DEFAULT_MAX_WORK_FACTOR, DEFAULT_WORK_FACTOR, wrapWithPassphrase } from './scrypt.js';
import { CHUNK_SIZE, ChunkSealer, PAYLOAD_NONCE_LENGTH, payloadKey } from './stream-cipher.js';
import { X25519Recipient } from './x25519.js';

export type EncryptOptions =
  | { readonly recipients: readonly Recipient[] }
  | {
      readonly passphrase: string;
      /** log2 of the scrypt N parameter; 18 like the age CLI unless given. */
      readonly workFactor?: number;
    };

const RECIPIENTS = {
  name: 'recipients',
  singular: 'recipient',
  purpose: 'encryption',
  types: [X25519Recipient, HybridRecipient],
  parser: 'parseRecipient',
} as const;

function validate(options: EncryptOptions): void {
  checkKeysOrPassphrase(options, RECIPIENTS);
  if ('recipients' in options) {
    try {
      checkRecipientMix(options.recipients);
    } catch (error) {
      throw invalidOptions((error as Error).message);
    }
  } else {
    checkWorkFactor(
      options.workFactor ?? DEFAULT_WORK_FACTOR,
      DEFAULT_MAX_WORK_FACTOR,
      'the scrypt work factor',
    );
  }
}

class EncryptStream extends Transform {
  readonly #options: EncryptOptions;
  /** Plaintext waiting to be sealed: at most one chunk, held until we know whether it is the last one. */
  readonly #pending = Buffer.allocUnsafe(CHUNK_SIZE);
  #pendingLength = 0;
  #sealer: ChunkSealer | undefined;
  /** The header and payload nonce, pushed just before the first chunk. */
  #prefix: Buffer | undefined;

  constructor(options: EncryptOptions) {
    // Validate before the stream exists: a constructed stream would start its setup even if we threw after.
    validate(options);
    super();
    this.#options = options;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.#start().then(
      () => {
        callback();
      },
      (error: unknown) => {
        callback(error as Error);
      },
    );
  }

  async #start(): Promise<void> {
    const fileKey = randomBytes(FILE_KEY_LENGTH);
    const options = this.#options;
    let stanzas: Stanza[];
    if ('recipients' in options) {
      stanzas = options.recipients.map((recipient) => recipient.wrap(fileKey));
    } else {
      const workFactor = options.workFactor ?? DEFAULT_WORK_FACTOR;
      stanzas = [await wrapWithPassphrase(options.passphrase, fileKey, workFactor)];
    }
    const nonce = randomBytes(PAYLOAD_NONCE_LENGTH);
    this.#prefix = Buffer.concat([encodeHeader(stanzas, fileKey), nonce]);
    this.#sealer = new ChunkSealer(payloadKey(fileKey, nonce));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#write(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // The final chunk: short, full when the plaintext is a non-zero multiple of 64 KiB, or empty when it is empty.
      this.#seal(this.#pending.subarray(0, this.#pendingLength), true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #write(data: Buffer): void {
    if (data.length === 0) return;
    let pos = 0;
    if (this.#pendingLength === CHUNK_SIZE) {
      // More data follows the full chunk we held back, so it was not the last one.
      this.#seal(this.#pending, false);
      this.#pendingLength = 0;
    }
    if (this.#pendingLength > 0) {
      pos = data.copy(this.#pending, this.#pendingLength);
      this.#pendingLength += pos;
      if (pos === data.length) return;
      this.#seal(this.#pending, false);
      this.#pendingLength = 0;
    }
    // Whole chunks with more data after them are sealed straight from the input, without copying.
    while (data.length - pos > CHUNK_SIZE) {
      this.#seal(data.subarray(pos, pos + CHUNK_SIZE), false);
      pos += CHUNK_SIZE;
    }
    this.#pendingLength = data.copy(this.#pending, 0, pos);
  }

  #seal(plaintext: Buffer, last: boolean): void {
    if (this.#prefix) {
      this.push(this.#prefix);
      this.#prefix = undefined;
    }
    const [ciphertext, tag] = this.#sealer!.seal(plaintext, last);
    this.push(ciphertext);
    this.push(tag);
  }
}

/**
 * A Transform that encrypts its input to the age v1 format, for recipients (age1… or age1pq1… public keys, not
 * both kinds in one file) or with a passphrase. Memory stays bounded: at most one 64 KiB chunk of plaintext is held back.
 */
export function createEncryptStream(options: EncryptOptions): Transform {
  return new EncryptStream(options);
}
