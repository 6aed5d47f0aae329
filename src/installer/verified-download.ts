import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpClient, type HttpClientResponse } from '@actions/http-client';

/** How long a download may go without a byte, before its answer or between two chunks of its body. */
const DEFAULT_STALL_TIMEOUT_MS = 120_000;

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/**
 * Downloads go through @actions/http-client, on Node's own HTTP stack, which honours the runner's proxy settings
 * (`https_proxy`, `no_proxy`). Not `fetch`: its undici (Node's own, or on Node 20 the one @actions/http-client
 * brings, which makes itself the global dispatcher) ends the process with an uncaught assertion when a server
 * answering HTTP/1.0 closes the connection while the reader holds the body back, as Python's `http.server` does.
 */
function httpClient(stallTimeoutMs: number): HttpClient {
  return new HttpClient('postgres-backup-action', [], {
    socketTimeout: stallTimeoutMs,
    allowRedirects: true,
    maxRedirects: 10,
    allowRetries: true,
    maxRetries: 2,
  });
}

/** GETs a URL and returns the body, or throws a DownloadError that says which URL failed and how. */
export async function fetchBuffer(url: string, stallTimeoutMs = DEFAULT_STALL_TIMEOUT_MS): Promise<Buffer> {
  const response = await get(url, stallTimeoutMs);
  const chunks: Buffer[] = [];
  await readBody(url, response, stallTimeoutMs, (chunk) => {
    chunks.push(chunk);
    return undefined;
  });
  return Buffer.concat(chunks);
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
  stallTimeoutMs = DEFAULT_STALL_TIMEOUT_MS,
): Promise<void> {
  const response = await get(url, stallTimeoutMs);
  const hash = createHash(algorithm);
  const file = createWriteStream(destination);
  try {
    await readBody(
      url,
      response,
      stallTimeoutMs,
      (chunk) => {
        hash.update(chunk);
        return chunk;
      },
      file,
    );
  } catch (error) {
    await rm(destination, { force: true });
    throw error;
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

async function get(url: string, stallTimeoutMs: number): Promise<HttpClientResponse> {
  let response: HttpClientResponse;
  try {
    response = await httpClient(stallTimeoutMs).get(url);
  } catch (error) {
    const err = error as { code?: string; message?: string };
    throw new DownloadError(`could not download ${url}: ${err.code ?? err.message ?? String(error)}`);
  }
  const status = response.message.statusCode ?? 0;
  if (status < 200 || status > 299) {
    response.message.resume();
    throw new DownloadError(`could not download ${url}: HTTP ${status}`, status);
  }
  return response;
}

/**
 * Streams the body through `each` (into `sink` when given), failing with a DownloadError when the connection
 * breaks off, the body is shorter than its Content-Length, or no byte arrives for `stallTimeoutMs`.
 */
async function readBody(
  url: string,
  response: HttpClientResponse,
  stallTimeoutMs: number,
  each: (chunk: Buffer) => Buffer | undefined,
  sink?: NodeJS.WritableStream,
): Promise<void> {
  const body = response.message;
  const expected = Number(body.headers['content-length'] ?? Number.NaN);
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  const stalled = () => {
    body.destroy(new Error(`no data for ${Math.round(stallTimeoutMs / 1000)} s`));
  };
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(stalled, stallTimeoutMs);
  };
  const stage = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      watch();
      received += chunk.length;
      const out = each(chunk);
      callback(null, sink ? out : undefined);
    },
  });
  watch();
  try {
    await (sink ? pipeline(body, stage, sink) : pipeline(body, stage));
  } catch (error) {
    throw new DownloadError(`download of ${url} broke off: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (Number.isFinite(expected) && received !== expected) {
    throw new DownloadError(
      `download of ${url} broke off: ${received} of the ${expected} bytes its Content-Length announced arrived`,
    );
  }
}
