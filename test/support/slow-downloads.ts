/**
 * Run as `node --import tsx slow-downloads.ts <dir> <url>=<sha256>…` under the Node being tested: downloads each
 * URL with the installer's own downloadVerified and prints one line per file. It loads the HTTP stack the bundle loads: @actions/http-client, and with it the undici
 * it brings for its proxy agent, which makes itself the global dispatcher that `fetch` uses (loaded first in the
 * bundle too, by @actions/core). So a crash the bundle would meet on this Node ends this process the same way.
 *
 * Each file is written into a named pipe that this process drains slowly, so the download always waits on its
 * reader (backpressure) when the server closes the connection: the moment the Node 20 crash needed, made certain
 * instead of left to the machine's speed.
 */
import '@actions/http-client';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { downloadVerified } from '../../src/installer/verified-download.js';

const [dir, ...specs] = process.argv.slice(2);
if (!dir || specs.length === 0) throw new Error('usage: slow-downloads.ts <dir> <url>=<sha256>…');

/** Reads the pipe a little at a time; resolves with the bytes read. */
async function drainSlowly(path: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 16 * 1024 })) {
    bytes += (chunk as Buffer).length;
    await delay(2);
  }
  return bytes;
}

const done = await Promise.all(
  specs.map(async (spec) => {
    const split = spec.lastIndexOf('=');
    const url = spec.slice(0, split);
    const pipe = join(dir, basename(url));
    execFileSync('mkfifo', [pipe]);
    const [bytes] = await Promise.all([
      drainSlowly(pipe),
      downloadVerified(url, pipe, spec.slice(split + 1)),
    ]);
    return `downloaded ${basename(url)} (${bytes} bytes)`;
  }),
);
for (const line of done) console.log(line);
