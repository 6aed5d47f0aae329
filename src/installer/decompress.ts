/**
 * Decompresses the formats Debian and the PostgreSQL apt repository use for indexes and .deb members (gzip, xz,
 * zstd) inside this process, so no `xz` or `zstd` program has to be on the machine: slim container images and
 * minimal Debian installs have neither.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as xzModule from 'xz-decompress';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

const gunzip = promisify(zlib.gunzip);

/**
 * The package is CommonJS behind a UMD wrapper that Node cannot read named exports from: imported natively, its
 * exports are the namespace's `default`; bundled, they are the namespace itself.
 */
const { XzReadableStream } = (xzModule as unknown as { default?: typeof xzModule }).default ?? xzModule;

/** The compression a file name's extension says (`data.tar.xz`, `Packages.gz`), `none` for anything else. */
export function compressionOf(name: string): Compression {
  if (name.endsWith('.gz')) return 'gzip';
  if (name.endsWith('.xz')) return 'xz';
  if (name.endsWith('.zst')) return 'zstd';
  return 'none';
}

/** The decompressed bytes of `data`, compressed as `compression` says. */
export async function decompress(data: Buffer, compression: Compression): Promise<Buffer> {
  switch (compression) {
    case 'none':
      return data;
    case 'gzip':
      return gunzip(data);
    case 'xz':
      return buffer(Readable.fromWeb(new XzReadableStream(webStreamOf(data))));
    case 'zstd':
      return zstdDecompress(data);
  }
}

function webStreamOf(data: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      controller.close();
    },
  });
}

/** zlib has zstd from Node 22.15 and 23.8 on; the action itself runs on Node 24. */
function zstdDecompress(data: Buffer): Promise<Buffer> {
  const zstd = (zlib as { zstdDecompress?: typeof zlib.gunzip }).zstdDecompress;
  if (!zstd) {
    throw new Error(
      `zstd-compressed data needs Node 22.15 or newer to decompress, and this is Node ${process.versions.node}`,
    );
  }
  return promisify(zstd)(data);
}
