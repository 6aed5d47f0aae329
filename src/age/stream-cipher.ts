/**
 * The age payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks. The 12-byte nonce of chunk i is an 11-byte
 * big-endian counter i followed by 0x01 for the final chunk and 0x00 for the others.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { hkdf, openChaCha20Poly1305, sealChaCha20Poly1305, TAG_LENGTH } from './primitives.js';

export const CHUNK_SIZE = 64 * 1024;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_LENGTH;
export const PAYLOAD_NONCE_LENGTH = 16;

/**
 * The payload key, as a KeyObject: Node 24 turns a raw key into one on every createCipheriv call, which costs about
 * 12 µs (a quarter of the time of a 64 KiB chunk), so we do it once per file.
 */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): KeyObject {
  return createSecretKey(hkdf(fileKey, nonce, 'payload'));
}

class ChunkNonce {
  readonly #nonce = Buffer.alloc(12);
  #counter = 0;

  get counter(): number {
    return this.#counter;
  }

  forChunk(last: boolean): Buffer {
    // 2^48 chunks of 64 KiB is far beyond any file: six bytes of the 11-byte counter are enough.
    this.#nonce.writeUIntBE(this.#counter, 5, 6);
    this.#nonce[11] = last ? 1 : 0;
    return this.#nonce;
  }

  advance(): void {
    this.#counter++;
  }
}

/** Seals successive chunks; the caller decides which one is last. */
export class ChunkSealer {
  readonly #key: KeyObject;
  readonly #nonce = new ChunkNonce();

  constructor(key: KeyObject) {
    this.#key = key;
  }

  /** Returns the ciphertext and the tag, as two buffers so that nothing is copied to join them. */
  seal(plaintext: Buffer, last: boolean): [Buffer, Buffer] {
    const sealed = sealChaCha20Poly1305(this.#key, this.#nonce.forChunk(last), plaintext);
    this.#nonce.advance();
    return sealed;
  }
}

/** Opens successive chunks; a failed attempt does not advance, so the caller may retry with the other flag. */
export class ChunkOpener {
  readonly #key: KeyObject;
  readonly #nonce = new ChunkNonce();

  constructor(key: KeyObject) {
    this.#key = key;
  }

  /** The index of the next chunk, from 0. */
  get index(): number {
    return this.#nonce.counter;
  }

  /** The plaintext of an encrypted chunk (ciphertext then tag), or null when it does not authenticate. */
  open(encrypted: Buffer, last: boolean): Buffer | null {
    const plaintext = openChaCha20Poly1305(this.#key, this.#nonce.forChunk(last), encrypted);
    if (plaintext) this.#nonce.advance();
    return plaintext;
  }
}
