/**
 * The backup's uploader against the real S3 server (Ceph radosgw): parts assembled in a reused pool, at most
 * `queueSize` in flight, one PutObject for a small body, and nothing left behind when it is destroyed mid-way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultipartWriter } from '../src/storage/multipart-writer.js';
import { MIN_PART_SIZE } from '../src/storage/part-size.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { s3Client } from './support/s3-server.js';
import { s3FromSetup } from './support/s3-inject.js';

/** Chunks of uneven sizes, so that part boundaries fall inside chunks. */
function* unevenChunks(data: Buffer): Generator<Buffer> {
  const sizes = [1, 65_536, 7, 1_000_003, 300_000];
  for (let offset = 0, index = 0; offset < data.length; index++) {
    const size = sizes[index % sizes.length]!;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

let watchers = 0;

/** Counts the UploadPart requests in flight at once, as the S3 server sees them arrive. */
function watchParts(client: S3Client): { readonly maxInFlight: number; readonly parts: number } {
  const seen = { maxInFlight: 0, parts: 0, inFlight: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'UploadPartCommand') return next(args);
      seen.parts++;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
      try {
        return await next(args);
      } finally {
        seen.inFlight--;
      }
    },
    { step: 'initialize', name: `watchParts${++watchers}` },
  );
  return seen;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('MultipartWriter', () => {
  let bucket: TestBucket;
  beforeAll(async () => {
    bucket = await createTestBucket();
  });
  afterAll(() => {
    bucket.client.destroy();
  });

  it('stores a body of several parts byte for byte, never more than queueSize parts in flight', async () => {
    const data = randomBytes(MIN_PART_SIZE * 4 + 12_345);
    const watched = watchParts(bucket.client);
    let stored = 0;
    const writer = new MultipartWriter({
      client: bucket.client,
      bucket: bucket.name,
      key: 'several.bin',
      contentType: 'application/octet-stream',
      partSize: MIN_PART_SIZE,
      queueSize: 2,
      onStored: (bytes) => (stored += bytes),
    });
    await pipeline(Readable.from(unevenChunks(data)), writer);
    expect(sha256(await bucket.get('several.bin'))).toBe(sha256(data));
    expect(watched.parts).toBe(5);
    expect(watched.maxInFlight).toBeLessThanOrEqual(2);
    expect(stored).toBe(data.length);
    expect(await bucket.pendingUploads()).toEqual([]);
  });

  it('sends a body smaller than one part with one PutObject, and an empty body as an empty object', async () => {
    const watched = watchParts(bucket.client);
    const small = randomBytes(1000);
    for (const [key, data] of [
      ['small.bin', small],
      ['empty.bin', Buffer.alloc(0)],
    ] as const) {
      await pipeline(
        Readable.from(unevenChunks(data)),
        new MultipartWriter({
          client: bucket.client,
          bucket: bucket.name,
          key,
          contentType: 'application/octet-stream',
          partSize: MIN_PART_SIZE,
          queueSize: 4,
        }),
      );
      expect(await bucket.get(key)).toEqual(data);
    }
    expect(watched.parts).toBe(0);
  });

  it('a body of exactly one part is one multipart upload of one part', async () => {
    const data = randomBytes(MIN_PART_SIZE);
    await pipeline(
      Readable.from(unevenChunks(data)),
      new MultipartWriter({
        client: bucket.client,
        bucket: bucket.name,
        key: 'one-part.bin',
        contentType: 'application/octet-stream',
        partSize: MIN_PART_SIZE,
        queueSize: 4,
      }),
    );
    expect(sha256(await bucket.get('one-part.bin'))).toBe(sha256(data));
  });

  it('destroyed after some parts, it aborts its multipart upload and leaves no object', async () => {
    const data = randomBytes(MIN_PART_SIZE * 3);
    const writer = new MultipartWriter({
      client: bucket.client,
      bucket: bucket.name,
      key: 'cancelled.bin',
      contentType: 'application/octet-stream',
      partSize: MIN_PART_SIZE,
      queueSize: 2,
    });
    const source = new Readable({ read() {} });
    const flowing = pipeline(source, writer);
    source.push(data);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        void bucket.pendingUploads().then((pending) => {
          if (pending.includes('cancelled.bin')) {
            clearInterval(poll);
            resolve();
          }
        });
      }, 20);
    });
    source.destroy(new Error('the producer failed'));
    await expect(flowing).rejects.toThrow('the producer failed');
    if (!writer.closed) await once(writer, 'close');
    expect(await bucket.pendingUploads()).toEqual([]);
    expect(await bucket.keys()).not.toContain('cancelled.bin');
  });

  it('refuses to send more parts than the store allows (max-parts), aborting the upload', async () => {
    const writer = new MultipartWriter({
      client: bucket.client,
      bucket: bucket.name,
      key: 'too-many-parts.bin',
      contentType: 'application/octet-stream',
      partSize: MIN_PART_SIZE,
      maxParts: 2,
      queueSize: 2,
    });
    await expect(
      pipeline(Readable.from(unevenChunks(randomBytes(MIN_PART_SIZE * 3 + 1))), writer),
    ).rejects.toThrow(/^the upload needs more than 2 parts of 5242880 bytes \(max-parts\)/);
    if (!writer.closed) await once(writer, 'close');
    expect(await bucket.pendingUploads()).toEqual([]);
    expect(await bucket.keys()).not.toContain('too-many-parts.bin');
  });

  it("with the SDK's default checksums (as against AWS) the parts carry CRC32s and the upload completes", async () => {
    const client = s3Client(s3FromSetup(), {
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_SUPPORTED',
    });
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        if (context.commandName === 'UploadPartCommand') sent.push(headers['x-amz-checksum-crc32'] ?? 'none');
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordChecksums' },
    );
    try {
      const data = randomBytes(MIN_PART_SIZE * 2 + 1);
      await pipeline(
        Readable.from(unevenChunks(data)),
        new MultipartWriter({
          client,
          bucket: bucket.name,
          key: 'crc.bin',
          contentType: 'application/octet-stream',
          partSize: MIN_PART_SIZE,
          queueSize: 4,
        }),
      );
      expect(sha256(await bucket.get('crc.bin'))).toBe(sha256(data));
      expect(sent).toHaveLength(3);
      for (const checksum of sent) expect(checksum).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    } finally {
      client.destroy();
    }
  });
});
