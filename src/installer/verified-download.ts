import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

const DEFAULT_TIMEOUT_MS = 120_000;

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** GETs a URL and returns the body, or throws a DownloadError that says which URL failed and how. */
export async function fetchBuffer(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
  const response = await get(url, timeoutMs);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Downloads `url` to `destination`, hashing while it writes, and refuses the file (deleting it) when its digest
 * differs from `expectedHex`, the value the repository's index published (SHA-256 unless `algorithm` says).
 */
export async function downloadVerified(
  url: string,
  destination: string,
  expectedHex: string,
  algorithm: 'sha256' | 'sha512' = 'sha256',
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const response = await get(url, timeoutMs);
  if (!response.body) throw new DownloadError(`${url} answered with an empty body`);
  const hash = createHash(algorithm);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      hashing,
      createWriteStream(destination),
    );
  } catch (error) {
    await rm(destination, { force: true });
    throw new DownloadError(`download of ${url} broke off: ${(error as Error).message}`);
  }
  const actual = hash.digest('hex');
  if (actual !== expectedHex.toLowerCase()) {
    await rm(destination, { force: true });
    const name = algorithm === 'sha256' ? 'SHA-256' : 'SHA-512';
    throw new DownloadError(
      `${name} mismatch for ${url}: the repository index says ${expectedHex}, the downloaded file is ${actual}. ` +
        'The file was refused and deleted; the mirror may be tampered with or out of sync.',
    );
  }
}

async function get(url: string, timeoutMs: number): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new DownloadError(`could not download ${url}: ${reason}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`could not download ${url}: HTTP ${response.status}`, response.status);
  }
  return response;
}
