/**
 * The release verifier on its own: the pinned PostgreSQL repository key is the one its maintainers publish, and a
 * Release file is read as apt-ftparchive writes it.
 */
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { PGDG_KEY, PGDG_KEY_FINGERPRINT } from '../src/installer/pgdg-key.js';
import { parseRelease, readPublicKeys } from '../src/installer/signed-release.js';

describe('the pinned PostgreSQL apt repository key', () => {
  it('is the key B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8, public, with no expiry', async () => {
    const [key, ...others] = await readPublicKeys(PGDG_KEY, 'the pinned key');
    expect(others).toEqual([]);
    expect(key!.getFingerprint().toUpperCase()).toBe(PGDG_KEY_FINGERPRINT);
    expect(PGDG_KEY_FINGERPRINT).toBe('B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8');
    expect(key!.isPrivate()).toBe(false);
    expect(await key!.getExpirationTime()).toBe(Infinity);
    expect(key!.getUserIDs()).toEqual(['PostgreSQL Debian Repository']);
  });

  it('refuses a private key and text that is no key, naming what was given', async () => {
    const { privateKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: 'x' }],
      format: 'armored',
    });
    await expect(readPublicKeys(privateKey, 'pg-apt-key')).rejects.toThrow(/^pg-apt-key is a private key/);
    await expect(readPublicKeys('not a key', 'pg-apt-key')).rejects.toThrow(
      /^pg-apt-key is not an armored OpenPGP public key/,
    );
  });
});

describe('parseRelease', () => {
  it('reads the fields and the multi-line SHA256 list', () => {
    const fields = parseRelease(
      [
        'Origin: apt.postgresql.org',
        'Suite: bookworm-pgdg',
        'Components: main 17 18 19',
        'SHA256:',
        ' 0a1b 1234 main/binary-amd64/Packages',
        ' 2c3d 99 main/binary-amd64/Packages.gz',
        '',
      ].join('\n'),
    );
    expect(fields.get('Components')).toBe('main 17 18 19');
    expect(fields.get('SHA256')).toBe(
      '\n0a1b 1234 main/binary-amd64/Packages\n2c3d 99 main/binary-amd64/Packages.gz',
    );
  });
});
