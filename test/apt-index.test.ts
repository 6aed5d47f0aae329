import { describe, expect, it } from 'vitest';
import {
  compareDebianVersions,
  dependencyNames,
  newestPackage,
  parsePackagesIndex,
} from '../src/installer/apt-index.js';
import { comparePointReleases, parseClientVersion, toolCacheVersion } from '../src/installer/pg-client.js';

const INDEX = `Package: postgresql-client-17
Version: 17.5-1.pgdg24.04+1
Architecture: amd64
Depends: libpq5 (>= 17~~), libc6 (>= 2.38), postgresql-client-common (>= 182~)
Filename: pool/main/p/postgresql-17/postgresql-client-17_17.5-1.pgdg24.04+1_amd64.deb
Size: 2001
SHA256: AAAA
Description: front-end programs for PostgreSQL 17
 This package contains client and administrative programs.

Package: postgresql-client-17
Version: 17.6-1.pgdg24.04+1
Architecture: amd64
Pre-Depends: dpkg (>= 1.15)
Depends: libpq5 (>= 17~~) | libpq-alt, libc6 (>= 2.38)
Filename: pool/main/p/postgresql-17/postgresql-client-17_17.6-1.pgdg24.04+1_amd64.deb
Size: 2002
SHA256: bbbb

Package: postgresql-client-17
Version: 17.7-1.pgdg24.04+1
Architecture: arm64
Filename: pool/main/p/postgresql-17/postgresql-client-17_17.7-1.pgdg24.04+1_arm64.deb
Size: 2003
SHA256: cccc

Package: broken-without-hash
Version: 1.0
Filename: pool/x.deb
`;

describe('parsePackagesIndex', () => {
  it('reads stanzas with continuation lines and skips those without a hash', () => {
    const packages = parsePackagesIndex(INDEX);
    expect(packages).toHaveLength(3);
    expect(packages[0]).toMatchObject({
      name: 'postgresql-client-17',
      version: '17.5-1.pgdg24.04+1',
      size: 2001,
      sha256: 'aaaa',
    });
    expect(packages[1]!.depends).toBe('dpkg (>= 1.15), libpq5 (>= 17~~) | libpq-alt, libc6 (>= 2.38)');
  });

  it('picks the newest version of the wanted architecture', () => {
    const packages = parsePackagesIndex(INDEX);
    expect(newestPackage(packages, 'postgresql-client-17', 'amd64')?.version).toBe('17.6-1.pgdg24.04+1');
    expect(newestPackage(packages, 'postgresql-client-17', 'arm64')?.version).toBe('17.7-1.pgdg24.04+1');
    expect(newestPackage(packages, 'postgresql-client-16', 'amd64')).toBeUndefined();
  });

  it('lists dependency names, first alternative, without constraints', () => {
    expect(dependencyNames('libpq5 (>= 17~~) | libpq-alt, libc6:any (>= 2.38),  zlib1g')).toEqual([
      'libpq5',
      'libc6',
      'zlib1g',
    ]);
    expect(dependencyNames('')).toEqual([]);
  });
});

describe('compareDebianVersions', () => {
  it.each([
    ['17.6-1', '17.5-1', 1],
    ['17.10-1', '17.9-1', 1],
    ['1:1.0', '2.0', 1],
    ['17~beta1-1', '17.0-1', -1],
    ['17.0~rc1', '17.0', -1],
    ['15.18-0+deb12u1', '15.18-0', 1],
    ['17.6-1.pgdg24.04+1', '17.6-1.pgdg22.04+1', 1],
    ['1.0a', '1.0+', -1],
    ['2.0', '2.0', 0],
    ['2.0-0', '2.0', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(sign);
    expect(Math.sign(compareDebianVersions(b, a))).toBe(-sign || 0);
  });
});

describe('client versions', () => {
  it('reads what pg_dump --version prints', () => {
    expect(parseClientVersion('pg_dump (PostgreSQL) 16.6 (Ubuntu 16.6-1.pgdg24.04+1)\n')).toEqual({
      major: 16,
      version: '16.6',
    });
    expect(parseClientVersion('pg_restore (PostgreSQL) 18beta1')).toEqual({ major: 18, version: '18beta1' });
    expect(parseClientVersion('psql: command not found')).toBeUndefined();
  });

  it('files clients under a semver version in the tool cache', () => {
    expect(toolCacheVersion({ major: 15, version: '15.18' })).toBe('15.18.0');
    expect(toolCacheVersion({ major: 18, version: '18beta1' })).toBe('18.0.0');
  });
});

describe('comparePointReleases', () => {
  it.each([
    ['15.18', '15.20', -1],
    ['15.20', '15.20', 0],
    ['16.1', '15.20', 1],
    ['18beta1', '18.0', -1],
    ['17', '17', 0],
  ])('orders %s against %s', (a, b, sign) => {
    expect(Math.sign(comparePointReleases(a, b))).toBe(sign);
  });
});
