/**
 * For the archive TOC tests: the test bed's real pg_dump and pg_restore (15 from the local apt mirror's bookworm
 * packages, 17 and 18 wrapped from Debian trixie and forky), a way to run them with stdin and stdout as pipes, and
 * a rewriter that turns a real 1.16 archive into the 1.15 or 1.14 layout (1.15 is what pg_dump 16 writes, and the
 * test bed has no pg_dump 16): pg_restore then says whether the rewrite is an archive it reads as the original.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { extractDeb } from '../../src/installer/deb-archive.js';
import { mirrorDebianPackages } from './apt-mirror.js';
import { cleanUpOnExit } from './cleanup-on-exit.js';
import { ensureWrappedClient } from './client-wrappers.js';

export type ArchiveClientMajor = 15 | 17 | 18;
export const ARCHIVE_CLIENT_MAJORS: readonly ArchiveClientMajor[] = [15, 17, 18];

export interface ArchiveClient {
  readonly major: ArchiveClientMajor;
  readonly binDir: string;
  /** What the programs need besides the connection: where they find their libraries. */
  readonly env: NodeJS.ProcessEnv;
}

export interface ArchiveClients {
  readonly clients: ReadonlyMap<ArchiveClientMajor, ArchiveClient>;
  /** Deletes the extracted client 15. Idempotent. */
  cleanup(): Promise<void>;
}

/** The real clients; client 15 is extracted into a temp folder that cleanup() (or the process's exit) deletes. */
export async function archiveClients(): Promise<ArchiveClients> {
  const root = await mkdtemp(join(tmpdir(), 'archive-client-15-'));
  const remove = () => {
    rmSync(root, { recursive: true, force: true });
  };
  cleanUpOnExit(remove);
  try {
    for (const deb of await mirrorDebianPackages()) await extractDeb(deb.path, root);
    // Its own libpq first; the global setup puts on LD_LIBRARY_PATH what else this machine lacks for it.
    const libraryPath = [join(root, 'usr/lib/x86_64-linux-gnu'), process.env.LD_LIBRARY_PATH].filter(Boolean);
    const base = { PATH: process.env.PATH ?? '' };
    const clients = new Map<ArchiveClientMajor, ArchiveClient>([
      [
        15,
        {
          major: 15,
          binDir: join(root, 'usr/lib/postgresql/15/bin'),
          env: { ...base, LD_LIBRARY_PATH: libraryPath.join(':') },
        },
      ],
    ]);
    for (const major of [17, 18] as const) {
      const env = process.env.LD_LIBRARY_PATH
        ? { ...base, LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH }
        : base;
      clients.set(major, { major, binDir: join((await ensureWrappedClient(major)).dir, 'bin'), env });
    }
    return { clients, cleanup: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    remove();
    throw error;
  }
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs a program with stdout a pipe (not seekable, as pg_dump's is in the action), handing each chunk to `onChunk`
 * as it arrives, and `input` (if any) written to its stdin, a pipe too.
 */
export function runPiped(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly input?: Buffer; readonly onChunk?: (chunk: Buffer) => void } = {},
): Promise<Ran> {
  const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    options.onChunk?.(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.on('error', () => undefined); // EPIPE: pg_restore --list stops reading after the TOC
  child.stdin.end(options.input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
  });
}

/** A 1.16 archive's bytes read field by field, each copied to the rewrite unless the rewrite changes it. */
class Rewrite {
  private pos = 0;
  private readonly out: Buffer[] = [];
  intSize = 4;

  constructor(private readonly archive: Buffer) {}

  copy(length: number): Buffer {
    const bytes = this.skip(length);
    this.out.push(bytes);
    return bytes;
  }

  skip(length: number): Buffer {
    if (this.pos + length > this.archive.length) throw new Error('the archive ends inside its TOC');
    return this.archive.subarray(this.pos, (this.pos += length));
  }

  /** A ReadInt field: its value (small non-negative ones are all this needs) and its bytes. */
  int(copy = true): number {
    const bytes = copy ? this.copy(1 + this.intSize) : this.skip(1 + this.intSize);
    return (bytes[0] ? -1 : 1) * bytes.readUIntLE(1, Math.min(this.intSize, 6));
  }

  str(): boolean {
    const length = this.int();
    if (length >= 0) this.copy(length);
    return length >= 0;
  }

  write(bytes: Buffer): void {
    this.out.push(bytes);
  }

  rest(): Buffer {
    return Buffer.concat([...this.out, this.archive.subarray(this.pos)]);
  }
}

/** The C archiver's WriteInt, for a 4-byte int. */
function writeInt(value: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes[0] = value < 0 ? 1 : 0;
  bytes.writeUInt32LE(Math.abs(value), 1);
  return bytes;
}

/**
 * Rewrites a 1.16 custom-format archive in the layout of 1.15 (no relkind in the entries) or 1.14 (also a gzip
 * level int, -1 for gzip, where 1.15 has the compression algorithm byte). Data blocks are copied as they are.
 */
export function rewriteArchiveVersion(archive: Buffer, minor: 14 | 15): Buffer {
  const rewrite = new Rewrite(archive);
  if (rewrite.copy(5).toString('latin1') !== 'PGDMP') throw new Error('not a custom-format archive');
  const [major, from] = [...rewrite.skip(2)];
  if (major !== 1 || from !== 16) throw new Error(`the archive is version ${major}.${from}, not 1.16`);
  rewrite.write(Buffer.from([1, minor]));
  rewrite.copy(1); // rev
  rewrite.intSize = rewrite.copy(1)[0]!;
  const offSize = rewrite.copy(2)[0]!; // and the format
  const algorithm = rewrite.skip(1)[0]!;
  if (minor === 15) rewrite.write(Buffer.from([algorithm]));
  else if (algorithm <= 1) rewrite.write(writeInt(algorithm === 1 ? -1 : 0));
  else throw new Error(`compression algorithm ${algorithm} has no 1.14 form`);
  for (let field = 0; field < 7; field++) rewrite.int();
  for (let field = 0; field < 3; field++) rewrite.str();
  const count = rewrite.int();
  for (let entry = 0; entry < count; entry++) {
    rewrite.int(); // dumpId
    rewrite.int(); // hadDumper
    for (let field = 0; field < 4; field++) rewrite.str(); // tableoid, oid, tag, desc
    rewrite.int(); // section
    for (let field = 0; field < 6; field++) rewrite.str(); // defn, dropStmt, copyStmt, namespace, tablespace, tableam
    rewrite.int(false); // relkind, which only 1.16 has
    rewrite.str(); // owner
    rewrite.str(); // withOids
    while (rewrite.str()); // the dependencies, up to a NULL
    rewrite.copy(1 + offSize); // the data offset: its flag, then offSize bytes
  }
  return rewrite.rest();
}
