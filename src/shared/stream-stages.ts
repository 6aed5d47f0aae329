import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/**
 * Passes data through, but ends the stream only once `verdict` says the producer succeeded: if pg_dump fails
 * after writing a well-formed prefix, the stream errors instead of ending, so nothing downstream can complete an
 * upload of a partial dump.
 */
export function gateOnSuccess(verdict: Promise<void>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      verdict.then(
        () => {
          callback();
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
  });
}

/** Counts bytes and computes SHA-256 of what flows through, and reports each chunk to `onBytes`. */
export class MeasuringStream extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private digest: string | undefined;

  constructor(private readonly onBytes: (total: number) => void = () => undefined) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes(this.bytes);
    callback(null, chunk);
  }

  override _flush(callback: (error?: Error | null) => void) {
    this.digest = this.hash.digest('hex');
    callback();
  }

  /** The hex SHA-256 of everything that passed; only once the stream has ended. */
  sha256(): string {
    if (this.digest === undefined) throw new Error('the stream has not ended');
    return this.digest;
  }
}

/** Counts bytes only. */
export class CountingStream extends Transform {
  bytes = 0;

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
