import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { compressionOf, decompress } from './decompress.js';

const execFileAsync = promisify(execFile);

const AR_MAGIC = '!<arch>\n';
const AR_HEADER_SIZE = 60;

interface ArMember {
  readonly name: string;
  readonly data: Buffer;
}

/** Splits an `ar` archive (the container of a .deb) into its members. */
export function readArArchive(archive: Buffer): ArMember[] {
  if (archive.subarray(0, AR_MAGIC.length).toString('latin1') !== AR_MAGIC) {
    throw new Error('not a Debian package: the ar archive signature is missing');
  }
  const members: ArMember[] = [];
  let offset = AR_MAGIC.length;
  while (offset + AR_HEADER_SIZE <= archive.length) {
    const header = archive.subarray(offset, offset + AR_HEADER_SIZE).toString('latin1');
    const name = header.slice(0, 16).trim().replace(/\/$/, '');
    const size = Number(header.slice(48, 58).trim());
    if (!Number.isInteger(size) || size < 0 || header.slice(58, 60) !== '`\n') {
      throw new Error(`not a Debian package: damaged ar header at byte ${offset}`);
    }
    const start = offset + AR_HEADER_SIZE;
    if (start + size > archive.length) throw new Error(`not a Debian package: member ${name} is truncated`);
    members.push({ name, data: archive.subarray(start, start + size) });
    offset = start + size + (size % 2); // members are padded to an even length
  }
  return members;
}

/**
 * Extracts a .deb's files into `destination` as an unprivileged user would: no dpkg database, no maintainer
 * scripts, no ownership changes. The data member is decompressed here (xz, zstd or gzip), so tar, which every
 * Debian and Ubuntu image has, never needs an `xz` or `zstd` program, which slim images lack.
 */
export async function extractDeb(debPath: string, destination: string): Promise<void> {
  const members = readArArchive(await readFile(debPath));
  const data = members.find((member) => member.name.startsWith('data.tar'));
  if (!data) throw new Error(`${debPath} holds no data.tar member`);
  await mkdir(destination, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'deb-'));
  try {
    const tarPath = join(scratch, 'data.tar');
    await writeFile(tarPath, await decompress(data.data, compressionOf(data.name)));
    await execFileAsync('tar', ['-x', '--no-same-owner', '-f', tarPath, '-C', destination]);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
