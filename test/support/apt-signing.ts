/**
 * Signing for the tests' apt mirror, as a repository's archive tooling signs: a `Release` listing the SHA-256 and
 * size of every index file (the fields apt-ftparchive writes), clear-signed as `InRelease` and detached as
 * `Release.gpg`, with keys the tests generate (never a real repository's).
 */
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';

export interface SigningKey {
  readonly armoredPrivateKey: string;
  readonly armoredPublicKey: string;
  readonly fingerprint: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A fresh Ed25519 signing key; `expired`: made three days ago, valid for one. */
export async function makeSigningKey(name: string, options: { expired?: boolean } = {}): Promise<SigningKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name }],
    format: 'armored',
    ...(options.expired ? { date: new Date(Date.now() - 3 * DAY_MS), keyExpirationTime: DAY_MS / 1000 } : {}),
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return {
    armoredPrivateKey: privateKey,
    armoredPublicKey: publicKey,
    fingerprint: key.getFingerprint().toUpperCase(),
  };
}

let shared: Promise<SigningKey> | undefined;

/** The key the mirror signs with unless a test says otherwise, made once per test file. */
export function mirrorSigningKey(): Promise<SigningKey> {
  shared ??= makeSigningKey('postgres-backup-action test mirror');
  return shared;
}

export interface ReleaseOptions {
  readonly suite: string;
  readonly components: readonly string[];
  readonly architectures: readonly string[];
  /** Files below `dists/<suite>/`, by path. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** A date, or the field's text as given (to serve one that does not parse). */
  readonly validUntil?: Date | string;
  /** The suite the release names in `Suite` and `Codename`: the folder's own by default. */
  readonly claimedSuite?: string;
}

/** The text of a `Release` file, as apt-ftparchive lays it out. */
export function releaseText(options: ReleaseOptions): string {
  const lines = [
    'Origin: apt.postgresql.org',
    'Label: PostgreSQL for Debian/Ubuntu repository',
    `Suite: ${options.claimedSuite ?? options.suite}`,
    `Codename: ${options.claimedSuite ?? options.suite}`,
    `Architectures: ${options.architectures.join(' ')}`,
    `Components: ${options.components.join(' ')}`,
    'Description: PostgreSQL for Debian/Ubuntu repository (the tests’ local mirror)',
    `Date: ${new Date().toUTCString()}`,
    ...(options.validUntil
      ? [
          `Valid-Until: ${typeof options.validUntil === 'string' ? options.validUntil : options.validUntil.toUTCString()}`,
        ]
      : []),
    'SHA256:',
    ...[...options.files].map(
      ([path, bytes]) =>
        ` ${createHash('sha256').update(bytes).digest('hex')} ${String(bytes.length).padStart(16)} ${path}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** `text` clear-signed (InRelease); a key made expired signs as of the day it was valid. */
export async function clearSign(text: string, key: SigningKey): Promise<string> {
  const signingKey = await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey });
  return openpgp.sign({
    message: await openpgp.createCleartextMessage({ text }),
    signingKeys: signingKey,
    date: await signingDate(signingKey),
  });
}

/** An armored detached signature of `text` (Release.gpg). */
export async function detachSign(text: string, key: SigningKey): Promise<string> {
  const signingKey = await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey });
  const message = await openpgp.createMessage({ text, format: 'binary' });
  const options = { message, signingKeys: signingKey, detached: true, date: await signingDate(signingKey) };
  // Typed as unknown and checked: sign()'s return type runs through openpgp's web-stream generics.
  const signature: unknown = await openpgp.sign(options);
  if (typeof signature !== 'string') throw new Error('openpgp.sign gave no armored signature');
  return signature;
}

async function signingDate(key: openpgp.PrivateKey): Promise<Date> {
  const expires = await key.getExpirationTime();
  return expires instanceof Date && expires.getTime() < Date.now()
    ? new Date(key.getCreationTime().getTime() + 60 * 60 * 1000)
    : new Date();
}
