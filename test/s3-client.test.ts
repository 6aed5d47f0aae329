/**
 * The S3 client's idle limit, against a loopback HTTP server that answers as a stuck or a slow store does: a
 * request whose socket moves nothing fails and is retried; one that keeps moving bytes is never cut short.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Client } from '../src/storage/s3-client.js';

const STALL_SECONDS = '2';

describe('createS3Client', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const previous = process.env.POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS;

  afterEach(async () => {
    if (previous === undefined) delete process.env.POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS;
    else process.env.POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS = previous;
    for (const socket of sockets) socket.destroy();
    const stopping = server;
    server = undefined;
    if (stopping) await new Promise((resolve) => stopping.close(resolve));
  });

  async function store(
    answer: (request: IncomingMessage, response: ServerResponse) => void,
  ): Promise<string> {
    server = createServer(answer);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function client(endpoint: string) {
    process.env.POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS = STALL_SECONDS;
    return createS3Client({
      bucket: 'b',
      prefix: '',
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxParts: 10_000,
    });
  }

  it('fails a request that gets no answer, after retrying it, instead of waiting forever', async () => {
    let seen = 0;
    const endpoint = await store(() => {
      seen++; // read nothing, answer nothing
    });
    const listing = client(endpoint).send(new ListObjectsV2Command({ Bucket: 'b' }));
    await expect(listing).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(seen).toBe(5);
  }, 60_000);

  it('does not cut short an answer that keeps arriving for longer than the idle limit', async () => {
    const endpoint = await store((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/xml' });
      response.write('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>b</Name>');
      // 40 pieces 100 ms apart: twice the idle limit in all, never more than a twentieth of it without a byte.
      let pieces = 0;
      const timer = setInterval(() => {
        if (++pieces < 40) {
          response.write(' ');
          return;
        }
        clearInterval(timer);
        response.end('<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>');
      }, 100);
    });
    const started = Date.now();
    const listed = await client(endpoint).send(new ListObjectsV2Command({ Bucket: 'b' }));
    expect(listed.KeyCount).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(Number(STALL_SECONDS) * 1000);
  }, 60_000);
});
