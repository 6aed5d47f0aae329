/**
 * Conformance with a release nobody on this project signed: Debian's own bookworm `InRelease` (signed by several
 * archive keys at once, as apt sees it) verified with the keys of Debian's `debian-archive-keyring` package, and
 * its `Packages.xz` checked against the SHA-256 it lists. Both files come from the test bed's cache and are
 * served on loopback, laid out as the archive lays them out.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRepositoryIndex } from '../src/installer/apt-repository.js';
import { extractDeb } from '../src/installer/deb-archive.js';
import { PGDG_KEY } from '../src/installer/pgdg-key.js';
import type { Platform } from '../src/installer/platform.js';
import { fetchSignedRelease, ReleaseVerificationError } from '../src/installer/signed-release.js';
import { ensureDebianPackages, ensureDebianRelease } from './support/debian-packages.js';
import { closeServer, listen } from './support/static-server.js';

let scratch: string;
let server: Server;
let url: string;
let debianKeys: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'debian-release-'));
  const [release, [keyring]] = await Promise.all([
    ensureDebianRelease('bookworm'),
    ensureDebianPackages('bookworm', ['debian-archive-keyring']),
  ]);
  // The keyring package's armored keys, as apt reads them from /etc/apt/trusted.gpg.d.
  const unpacked = join(scratch, 'keyring');
  await extractDeb(keyring!.path, unpacked);
  const trusted = join(unpacked, 'etc', 'apt', 'trusted.gpg.d');
  const files = (await readdir(trusted)).filter((name) => name.endsWith('.asc'));
  expect(files.length).toBeGreaterThan(0);
  debianKeys = (await Promise.all(files.map((name) => readFile(join(trusted, name), 'utf8')))).join('\n');

  const root = join(scratch, 'archive');
  const suite = join(root, 'dists', 'bookworm');
  await mkdir(join(suite, 'main', 'binary-amd64'), { recursive: true });
  await copyFile(release.inRelease, join(suite, 'InRelease'));
  await copyFile(release.packagesXz, join(suite, 'main', 'binary-amd64', 'Packages.xz'));
  server = await listen(root, []);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await closeServer(server);
  await rm(scratch, { recursive: true, force: true });
});

const bookworm: Platform = {
  distro: 'debian',
  codename: 'bookworm',
  debArch: 'amd64',
  arch: 'x64',
  multiarch: 'x86_64-linux-gnu',
  prettyName: 'Debian GNU/Linux 12 (bookworm)',
};

describe("Debian's bookworm release", () => {
  it("verifies with Debian's archive keys, and its main index matches the signed SHA-256", async () => {
    const release = await fetchSignedRelease(url, 'bookworm', { armoredKeys: debianKeys, name: 'debian' });
    expect(release.signedBy).toMatch(/^[0-9A-F]{40}$/);
    expect(release.components).toContain('main');
    expect(release.architectures).toContain('arm64');
    expect(release.files.get('main/binary-amd64/Packages.xz')?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const index = await fetchRepositoryIndex(url, release, 'main', bookworm);
    expect(index.path).toBe('main/binary-amd64/Packages.xz');
    expect(index.packages.some((pkg) => pkg.name === 'postgresql-client-15')).toBe(true);
  });

  it('is refused with the PostgreSQL key, which did not sign it', async () => {
    const error = await fetchSignedRelease(url, 'bookworm', { armoredKeys: PGDG_KEY, name: 'pgdg' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReleaseVerificationError);
    expect((error as Error).message).toMatch(
      /the signature of http:\/\/127\.0\.0\.1:\d+\/dists\/bookworm\/InRelease does not verify with the trusted key B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8/,
    );
  });
});
