/**
 * .deb extraction without `xz` or `zstd` programs: slim images and minimal Debian installs have only `tar`. A real
 * Debian package (xz data member) is extracted as it is, and repacked with zstd and gzip members, each with a PATH
 * that holds `tar` and nothing else.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractDeb, readArArchive } from '../src/installer/deb-archive.js';
import { compressionOf, decompress } from '../src/installer/decompress.js';
import { ensureDebianPackages } from './support/debian-packages.js';
import { findCommand } from './support/system-packages.js';

let scratch: string;
let original: Buffer;
let tarOnlyPath: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'deb-archive-'));
  const [libpq] = await ensureDebianPackages('bookworm', ['libpq5']);
  original = await readFile(libpq!.path);
  tarOnlyPath = join(scratch, 'bin');
  await mkdir(tarOnlyPath);
  const tar = await findCommand('tar');
  if (!tar) throw new Error('tar is not on PATH');
  await symlink(tar, join(tarOnlyPath, 'tar'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** An ar archive (the .deb container) of the members given, as dpkg-deb writes it. */
function arArchive(members: readonly { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const { name, data } of members) {
    const header =
      name.padEnd(16) +
      '0'.padEnd(12) +
      '0'.padEnd(6) +
      '0'.padEnd(6) +
      '100644'.padEnd(8) +
      String(data.length).padEnd(10) +
      '`\n';
    parts.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Every file below `dir`, relative to it, sorted. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Extracts `deb` with only `tar` on PATH; returns the files it wrote. */
async function extractWithTarOnly(deb: Buffer, name: string): Promise<string[]> {
  const debPath = join(scratch, `${name}.deb`);
  const destination = join(scratch, name);
  await writeFile(debPath, deb);
  const path = process.env.PATH;
  process.env.PATH = tarOnlyPath;
  try {
    await extractDeb(debPath, destination);
  } finally {
    process.env.PATH = path;
  }
  return filesBelow(destination);
}

describe('.deb extraction in-process', () => {
  it("extracts Debian's own package (an xz data member) with no xz program", async () => {
    const members = readArArchive(original);
    expect(members.map((member) => member.name)).toEqual(['debian-binary', 'control.tar.xz', 'data.tar.xz']);
    const files = await extractWithTarOnly(original, 'xz');
    expect(files).toEqual(
      expect.arrayContaining([expect.stringMatching(/^usr\/lib\/x86_64-linux-gnu\/libpq\.so\.5\.\d+$/)]),
    );
  });

  it.each([
    ['zstd', 'data.tar.zst', zstdCompressSync],
    ['gzip', 'data.tar.gz', gzipSync],
  ] as const)(
    'extracts the same files from a %s data member (%s) with no such program',
    async (kind, member, compress) => {
      const members = readArArchive(original);
      const data = members.find((entry) => entry.name === 'data.tar.xz')!;
      const tar = await decompress(data.data, 'xz');
      const repacked = arArchive(
        members.map((entry) => (entry === data ? { name: member, data: compress(tar) } : entry)),
      );
      expect(await extractWithTarOnly(repacked, kind)).toEqual(
        await extractWithTarOnly(original, `${kind}-xz`),
      );
    },
  );

  it('names the compression of each member by its extension', () => {
    expect(['Packages.gz', 'data.tar.xz', 'data.tar.zst', 'data.tar'].map(compressionOf)).toEqual([
      'gzip',
      'xz',
      'zstd',
      'none',
    ]);
  });

  it('refuses damaged xz data with an error, not a crash', async () => {
    const members = readArArchive(original);
    const data = members.find((entry) => entry.name === 'data.tar.xz')!.data;
    const damaged = Buffer.from(data);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await expect(decompress(damaged, 'xz')).rejects.toThrow();
  });
});
