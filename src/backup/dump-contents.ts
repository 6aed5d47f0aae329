import { join } from 'node:path';
import { Transform } from 'node:stream';
import { describeExit, offlineToolEnvironment, startChild } from '../shared/child-process.js';
import { errorMessage } from '../shared/errors.js';
import { qualifiedName, type SequenceValue } from '../inventory/index.js';
import { ArchiveTocReader, sequenceValues } from './archive-toc.js';

/** What a custom-format dump holds, read from its table of contents. */
export interface DumpContents {
  /** pg_class OIDs of the tables whose rows are in the dump (its TABLE DATA entries). */
  readonly tableOids: readonly number[];
  /** Whether the dump holds large objects (BLOBS / LARGE OBJECTS entries). */
  readonly hasLargeObjects: boolean;
}

/** The values the dump's SEQUENCE SET entries restore, by the inventory's name, or why they could not be read. */
export type DumpSequences =
  { readonly values: ReadonlyMap<string, SequenceValue> } | { readonly problem: string };

/** Stop feeding pg_restore after this much: a table of contents is never this large, and memory stays flat. */
const MAX_TEE_BYTES = 64 * 1024 * 1024;

/** Parses `pg_restore --list` output: `3255; 0 16393 TABLE DATA public orders owner`. */
export function parseTocList(listing: string): DumpContents {
  const tableOids: number[] = [];
  let hasLargeObjects = false;
  for (const line of listing.split('\n')) {
    const match = /^\d+;\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const description = match[3]!;
    if (description.startsWith('TABLE DATA ')) tableOids.push(Number(match[2]));
    else if (/^(BLOBS|LARGE OBJECTS|BLOB DATA)\b/.test(description)) hasLargeObjects = true;
  }
  return { tableOids, hasLargeObjects };
}

/**
 * Reads the table of contents of the dump as it streams past: the head of the stream is fed to
 * `pg_restore --list`, which needs only the header and TOC (written before any data) and exits. The dump itself
 * passes through untouched and unslowed: pg_restore is fed without waiting for it.
 */
export class DumpContentsReader {
  readonly contents: Promise<DumpContents>;
  private readonly child;
  /** The same head of the stream, read here for what `--list` does not print (the sequences' values). */
  private readonly toc = new ArchiveTocReader(MAX_TEE_BYTES);
  private open = true;
  private fed = 0;

  constructor(binDir: string) {
    this.child = startChild(join(binDir, 'pg_restore'), ['--list'], offlineToolEnvironment(), 'pipe');
    const stdin = this.child.process.stdin!;
    stdin.on('error', () => undefined); // EPIPE once pg_restore has read what it needs
    let listing = '';
    this.child.process.stdout.setEncoding('utf8');
    this.child.process.stdout.on('data', (text: string) => (listing += text));
    this.contents = this.child.exit.then((exit) => {
      this.open = false;
      if (exit.code !== 0) {
        throw new Error(
          `the dump's table of contents could not be read: ${describeExit('pg_restore --list', exit)}`,
        );
      }
      return parseTocList(listing);
    });
    this.contents.catch(() => undefined);
  }

  /** A pass-through stream that shows the dump to pg_restore on its way. */
  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.feed(chunk);
        callback(null, chunk);
      },
      flush: (callback) => {
        this.close();
        this.toc.end();
        callback();
      },
      destroy: (error, callback) => {
        // Streams are also destroyed after a normal end (autoDestroy): only a failure stops pg_restore.
        if (error) this.stop();
        callback(error);
      },
    });
  }

  /** The sequence values of the dump's table of contents, once the dump has streamed past. */
  sequences(): DumpSequences {
    const state = this.toc.state;
    if (state.status !== 'complete') {
      return {
        problem: state.status === 'failed' ? state.error.message : 'the table of contents was not read',
      };
    }
    try {
      const values = new Map<string, SequenceValue>();
      for (const found of sequenceValues(state.toc).values())
        values.set(qualifiedName(found.schema, found.name), found);
      return { values };
    } catch (error) {
      return { problem: errorMessage(error) };
    }
  }

  /** Ends pg_restore if it is still running (after a failure). */
  stop(): void {
    this.close();
    this.child.stop();
  }

  private feed(chunk: Buffer): void {
    this.toc.feed(chunk);
    if (!this.open) return;
    this.fed += chunk.length;
    this.child.process.stdin!.write(chunk);
    if (this.fed >= MAX_TEE_BYTES) this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    this.child.process.stdin!.end();
  }
}
