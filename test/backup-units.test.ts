import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { offlineToolEnvironment } from '../src/shared/child-process.js';
import { resolveCompression } from '../src/backup/compression.js';
import { parseTocList } from '../src/backup/dump-contents.js';
import { parseDumpArgs } from '../src/backup/dump-args.js';
import { formatDuration } from '../src/shared/duration.js';
import { formatBytes } from '../src/shared/format.js';
import { TOOL_VERSION } from '../src/shared/constants.js';
import { parseConnectionUrl } from '../src/postgres/connection-url.js';
import { libpqInvocation } from '../src/postgres/libpq-env.js';
import { backupKeys, databaseFolder, parseBackupName, timestampName } from '../src/storage/object-layout.js';
import {
  chooseQueueSize,
  choosePartSize,
  compresses,
  GROWTH_ALLOWANCE,
  MAX_PARTS,
  MIN_PART_SIZE,
} from '../src/storage/part-size.js';

describe('compression', () => {
  it.each([
    ['auto', 16, 'zstd:3'],
    ['auto', 15, '6'],
    ['none', 17, 'none'],
    ['none', 14, '0'],
    ['zstd:9', 18, 'zstd:9'],
    ['zstd:level=5', 17, 'zstd:5'],
    ['lz4', 16, 'lz4'],
    ['gzip:4', 15, '4'],
    ['9', 15, '9'],
  ])('%s for pg_dump %i is %s', (spec, major, expected) => {
    expect(resolveCompression(spec, major)).toBe(expected);
  });

  it.each([
    ['zstd:3', 15, /zstd needs pg_dump 16 or newer, and this backup uses pg_dump 15/],
    ['zstd:30', 17, /zstd levels go from 1 to 22/],
    ['brotli', 17, /use auto, none, a gzip level 0-9, or METHOD\[:LEVEL\]/],
    ['12', 17, /a plain number is a gzip level from 0 to 9/],
  ])('refuses %s for pg_dump %i', (spec, major, message) => {
    expect(() => resolveCompression(spec, major)).toThrow(message);
    expect(() => resolveCompression(spec, major)).toThrow(/^Input 'compression': /);
  });
});

describe('pg-dump-args', () => {
  it('splits like a shell, keeping quoted patterns whole', () => {
    expect(parseDumpArgs(`--exclude-table-data=audit_log -T 'public."Big Table"' --no-comments`)).toEqual([
      '--exclude-table-data=audit_log',
      '-T',
      'public."Big Table"',
      '--no-comments',
    ]);
    expect(parseDumpArgs('')).toEqual([]);
  });

  it.each([
    ['-f out.dump', /'-f' is not allowed: the dump is streamed to the bucket/],
    ['--file=/tmp/x', /'--file=\/tmp\/x' is not allowed/],
    ['-Fp', /'-Fp' is not allowed: the format is always custom/],
    ['--format=directory', /'--format=directory' is not allowed/],
    ['-j 4', /'-j' is not allowed: parallel dumps need the directory format/],
    ['--snapshot=abc', /the action exports the snapshot itself/],
    ['-h evil.example', /the connection comes from database-url/],
    ['--dbname=other', /the database comes from database-url/],
    ['-Z9', /set the compression input instead/],
    ['otherdb', /'otherdb' is not an option/],
    ["--exclude-table='unclosed", /unclosed ' quote/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDumpArgs(text)).toThrow(message);
    expect(() => parseDumpArgs(text)).toThrow(/^Input 'pg-dump-args': /);
  });
});

describe('part size', () => {
  it('keeps a stream of the growth allowance times the database size under 10,000 parts', () => {
    for (const compressed of [true, false]) {
      const allowance = compressed ? GROWTH_ALLOWANCE.compressed : GROWTH_ALLOWANCE.uncompressed;
      for (const gib of [0, 0.001, 1, 4, 10, 100, 1000]) {
        const bytes = gib * 1024 ** 3;
        const part = choosePartSize(bytes, compressed);
        expect(part).toBeGreaterThanOrEqual(MIN_PART_SIZE);
        expect(part % (1024 * 1024)).toBe(0);
        expect(Math.ceil((bytes * allowance) / part)).toBeLessThanOrEqual(MAX_PARTS);
      }
    }
  });

  it('keeps the same streams within a store’s lower part limit (max-parts, Scaleway: 1,000)', () => {
    for (const maxParts of [1000, 37]) {
      for (const gib of [0.001, 1, 4, 10]) {
        const bytes = gib * 1024 ** 3;
        const part = choosePartSize(bytes, true, maxParts);
        expect(Math.ceil((bytes * GROWTH_ALLOWANCE.compressed) / part)).toBeLessThanOrEqual(maxParts);
      }
    }
    // 1 GiB with room for 10 GiB in 1,000 parts: 11 MiB parts (10.24 MiB rounded up), where 10,000 allow 8 MiB.
    expect(choosePartSize(1024 ** 3, true, 1000)).toBe(11 * 1024 * 1024);
    expect(choosePartSize(1024 ** 3, true)).toBe(8 * 1024 * 1024);
  });

  it('uses 8 MiB parts for compressed dumps of databases up to about 7.8 GiB', () => {
    expect(choosePartSize(4 * 1024 ** 3, true)).toBe(8 * 1024 * 1024);
    expect(choosePartSize(7.8 * 1024 ** 3, true)).toBe(8 * 1024 * 1024);
    expect(choosePartSize(8 * 1024 ** 3, true)).toBe(9 * 1024 * 1024);
    // Uncompressed, the same 4 GiB database needs room for a stream 50 times its size.
    expect(choosePartSize(4 * 1024 ** 3, false)).toBe(21 * 1024 * 1024);
  });

  it('tells compressing --compress values from those that do not compress', () => {
    for (const value of ['zstd:3', 'zstd', 'lz4:1', 'gzip:6', '6', '1']) expect(compresses(value)).toBe(true);
    for (const value of ['none', '0']) expect(compresses(value)).toBe(false);
  });

  it('shortens the queue as parts grow, so memory stays near a fixed budget', () => {
    expect(chooseQueueSize(8 * 1024 * 1024)).toBe(4);
    // The pool (queue + the part being filled) stays within 64 MiB.
    const part = 21 * 1024 * 1024;
    expect(chooseQueueSize(part)).toBe(2);
    expect((chooseQueueSize(part) + 1) * part).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(chooseQueueSize(64 * 1024 * 1024)).toBe(1);
    expect(chooseQueueSize(512 * 1024 * 1024)).toBe(1);
  });
});

describe('object layout', () => {
  it('names objects and manifests by UTC second', () => {
    const at = new Date('2026-11-21T03:15:00.456Z');
    expect(timestampName(at)).toBe('2026-11-21T03-15-00Z');
    expect(backupKeys('postgres', 'app', at, true)).toEqual({
      object: 'postgres/app/2026-11-21T03-15-00Z.dump.age',
      globals: 'postgres/app/2026-11-21T03-15-00Z.globals.json.age',
      manifest: 'postgres/app/2026-11-21T03-15-00Z.manifest.json',
      createdAt: at,
    });
    expect(backupKeys('/nightly/', 'app', at, false)).toMatchObject({
      object: 'nightly/app/2026-11-21T03-15-00Z.dump',
      globals: 'nightly/app/2026-11-21T03-15-00Z.globals.json',
    });
    expect(backupKeys('', 'app', at, false).object).toBe('app/2026-11-21T03-15-00Z.dump');
  });

  it("refuses a database name that would reach into another database's folder", () => {
    const at = new Date('2026-11-21T03:15:00Z');
    expect(() => backupKeys('nightly', 'app/x', at, true)).toThrow(
      /^The database name "app\/x" cannot be a folder of the bucket: its "\/" would put its backups inside the folder of database "app"\. Rename the database, or leave it out \(exclude-databases\)\.$/,
    );
    for (const name of ['..', '.', ''])
      expect(() => databaseFolder('nightly', name)).toThrow(/is not a folder name/);
    expect(databaseFolder('nightly', 'Shop DB.v2')).toBe('nightly/Shop DB.v2/');
  });

  it('reads only the names the layout writes, directly in the folder', () => {
    expect(parseBackupName('2026-11-21T03-15-00Z.manifest.json')).toEqual({
      createdAt: new Date('2026-11-21T03:15:00Z'),
      suffix: '.manifest.json',
    });
    for (const name of [
      'x/2026-11-21T03-15-00Z.manifest.json',
      'notes.manifest.json',
      '2026-02-31T00-00-00Z.dump',
    ]) {
      expect(parseBackupName(name)).toBeUndefined();
    }
  });
});

describe('libpq invocation', () => {
  it('puts the connection in PG* variables and nothing secret in argv', () => {
    const target = parseConnectionUrl(
      'postgresql://app:s3cr%40t@db.example.com:6543,[::1]:5433/shop?sslmode=require&keepalives_idle=30&application_name=nightly',
      { user: 'x', socketDir: '/tmp' },
    );
    const { env, args } = libpqInvocation(target, { PATH: '/bin', PGHOST: 'leftover', PGSERVICEFILE: '/x' });
    expect(env).toEqual({
      PATH: '/bin',
      PGHOST: 'db.example.com,::1',
      PGPORT: '6543,5433',
      PGUSER: 'app',
      PGDATABASE: 'shop',
      PGPASSWORD: 's3cr@t',
      PGSSLMODE: 'require',
      PGAPPNAME: 'nightly',
    });
    expect(args).toEqual([`--dbname=dbname='shop' keepalives_idle='30'`]);
    expect(args.join(' ')).not.toContain('s3cr');
  });
});

describe('table of contents', () => {
  it('finds the TABLE DATA entries and large objects in pg_restore --list output', () => {
    const listing = [
      ';     dbname: app',
      '214; 1259 16393 TABLE public we ird backup_admin',
      '3256; 2613 16396 BLOB - 16396 backup_admin',
      '3255; 0 16393 TABLE DATA public we ird backup_admin',
      '3259; 0 16400 TABLE DATA public orders backup_admin',
      '3257; 0 0 BLOBS - BLOBS ',
    ].join('\n');
    expect(parseTocList(listing)).toEqual({
      tableOids: [16393, 16400],
      hasLargeObjects: true,
    });
  });
});

describe('misc', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('writes every duration one way: tenths under a minute, whole units above', () => {
    expect(formatDuration(0)).toBe('0.0 s');
    expect(formatDuration(42.5)).toBe('42.5 s');
    expect(formatDuration(59.96)).toBe('1m');
    expect(formatDuration(61)).toBe('1m 1s');
    expect(formatDuration(83.2)).toBe('1m 23s');
    expect(formatDuration(3900)).toBe('1h 5m');
    expect(formatDuration(93_784)).toBe('1d 2h 3m 4s');
  });

  it('writes the package version into manifests', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});

describe('the environment of pg_restore --list', () => {
  it('keeps where programs and libraries are found, and nothing else', () => {
    const saved = { ...process.env };
    try {
      process.env.LD_LIBRARY_PATH = '/opt/pg/lib';
      process.env['INPUT_DATABASE-URL'] = 'postgres://u:secret@host/db';
      process.env.PGPASSWORD = 'secret';
      expect(offlineToolEnvironment()).toEqual({ PATH: process.env.PATH, LD_LIBRARY_PATH: '/opt/pg/lib' });
      delete process.env.LD_LIBRARY_PATH;
      expect(offlineToolEnvironment()).toEqual({ PATH: process.env.PATH });
    } finally {
      process.env = saved;
    }
  });
});
