/**
 * The signed `Release` of one suite of an apt repository, believed as apt believes it: `InRelease` (or `Release`
 * with its detached `Release.gpg`) verified with the pinned repository key, then every index file it is asked
 * for checked against the SHA-256 and size the signed text lists. A `Packages` file is never read on TLS alone.
 */
import { createHash } from 'node:crypto';
import { DownloadError, fetchBuffer } from './verified-download.js';

/** An index file as the signed release lists it, by its path below `dists/<suite>/`. */
export interface ReleaseFile {
  readonly sha256: string;
  readonly size: number;
}

export interface SignedRelease {
  /** `<repository>/dists/<suite>`, without a trailing slash. */
  readonly url: string;
  readonly suite: string;
  readonly components: readonly string[];
  readonly architectures: readonly string[];
  readonly files: ReadonlyMap<string, ReleaseFile>;
  /** The fingerprint of the key whose signature was verified, upper-case hex. */
  readonly signedBy: string;
  /** The SHA-256 of the signed text: two releases with the same digest list the same files. */
  readonly digest: string;
}

/** The repository answered, but what it served is not what its key signed: nothing from it may be installed. */
export class ReleaseVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseVerificationError';
  }
}

/** The suite does not exist in the repository (neither `InRelease` nor `Release`). */
export class SuiteNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SuiteNotFoundError';
  }
}

type OpenPgp = typeof import('openpgp');

/**
 * openpgp.js is a sizeable part of the bundle and only the installer's download layer needs it; it is loaded on
 * first use, so a run that finds its client on the runner never reads it.
 */
function loadOpenPgp(): Promise<OpenPgp> {
  return import('openpgp');
}

/** Reads one or more armored public keys; a private key or anything else is refused with `what` named. */
export async function readPublicKeys(armored: string, what: string): Promise<import('openpgp').PublicKey[]> {
  const openpgp = await loadOpenPgp();
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armored)) {
    throw new Error(`${what} is a private key: give the repository's public key (gpg --armor --export).`);
  }
  try {
    const keys = await openpgp.readKeys({ armoredKeys: armored });
    return keys.map((key) => key.toPublic());
  } catch (error) {
    throw new Error(
      `${what} is not an armored OpenPGP public key (${error instanceof Error ? error.message : String(error)}).`,
      { cause: error },
    );
  }
}

/**
 * Downloads and verifies `dists/<suite>/InRelease`, or `Release` and `Release.gpg` where there is no InRelease.
 * Throws a SuiteNotFoundError when neither exists, a ReleaseVerificationError when the signature or its key is
 * wrong, absent or expired, or the release itself has expired (`Valid-Until`), and a DownloadError otherwise.
 */
export async function fetchSignedRelease(
  repository: string,
  suite: string,
  trust: { readonly armoredKeys: string; readonly name: string },
  now: Date = new Date(),
): Promise<SignedRelease> {
  const url = `${repository.replace(/\/+$/, '')}/dists/${suite}`;
  const keys = await readPublicKeys(trust.armoredKeys, trust.name);
  const inRelease = await fetchOptional(`${url}/InRelease`);
  let verified: { text: string; signedBy: string };
  if (inRelease) {
    verified = await verifyCleartext(inRelease.toString('utf8'), keys, `${url}/InRelease`, now);
  } else {
    const release = await fetchOptional(`${url}/Release`);
    if (!release) throw new SuiteNotFoundError(`${url}/ has neither InRelease nor Release`);
    const signature = await fetchOptional(`${url}/Release.gpg`);
    if (!signature) {
      throw new ReleaseVerificationError(
        `${url}/Release is not signed: the repository serves neither InRelease nor Release.gpg`,
      );
    }
    verified = await verifyDetached(release, signature, keys, `${url}/Release`, now);
  }
  const fields = parseRelease(verified.text);
  checkSuite(fields, suite, url);
  checkValidUntil(fields, url, now);
  return {
    url,
    suite,
    components: (fields.get('Components') ?? '').split(/\s+/).filter(Boolean),
    architectures: (fields.get('Architectures') ?? '').split(/\s+/).filter(Boolean),
    files: parseSha256List(fields.get('SHA256') ?? ''),
    signedBy: verified.signedBy,
    digest: createHash('sha256').update(verified.text).digest('hex'),
  };
}

/**
 * Checks `bytes`, downloaded as `path` below the suite, against the signed release: listed, the same size, the
 * same SHA-256. Anything else is refused.
 */
export function checkReleaseFile(release: SignedRelease, path: string, bytes: Buffer): void {
  const listed = release.files.get(path);
  if (!listed) {
    throw new ReleaseVerificationError(
      `${release.url}/${path} is not listed in the signed release's SHA256 field`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== listed.size || sha256 !== listed.sha256) {
    throw new ReleaseVerificationError(
      `${release.url}/${path} does not match the signed release: SHA-256 ${sha256} (${bytes.length} bytes), ` +
        `signed ${listed.sha256} (${listed.size} bytes)`,
    );
  }
}

async function fetchOptional(url: string): Promise<Buffer | undefined> {
  try {
    return await fetchBuffer(url);
  } catch (error) {
    if (error instanceof DownloadError && error.status === 404) return undefined;
    throw error;
  }
}

async function verifyCleartext(
  text: string,
  keys: import('openpgp').PublicKey[],
  url: string,
  now: Date,
): Promise<{ text: string; signedBy: string }> {
  const openpgp = await loadOpenPgp();
  let message;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: text });
  } catch (error) {
    throw new ReleaseVerificationError(`${url} is not a signed message (${messageOf(error)})`);
  }
  const result = await openpgp.verify({ message, verificationKeys: keys, date: now });
  return { text: result.data, signedBy: await firstValid(result.signatures, keys, url, now) };
}

async function verifyDetached(
  release: Buffer,
  signature: Buffer,
  keys: import('openpgp').PublicKey[],
  url: string,
  now: Date,
): Promise<{ text: string; signedBy: string }> {
  const openpgp = await loadOpenPgp();
  let parsed;
  try {
    const armored = signature.toString('latin1');
    parsed = armored.includes('-----BEGIN PGP SIGNATURE-----')
      ? await openpgp.readSignature({ armoredSignature: armored })
      : await openpgp.readSignature({ binarySignature: new Uint8Array(signature) });
  } catch (error) {
    throw new ReleaseVerificationError(`${url}.gpg is not an OpenPGP signature (${messageOf(error)})`);
  }
  const message = await openpgp.createMessage({ binary: new Uint8Array(release) });
  const result = await openpgp.verify({ message, signature: parsed, verificationKeys: keys, date: now });
  return { text: release.toString('utf8'), signedBy: await firstValid(result.signatures, keys, url, now) };
}

/** The fingerprint of the first signature that verifies; otherwise why none does, as openpgp.js says it. */
async function firstValid(
  signatures: Awaited<ReturnType<OpenPgp['verify']>>['signatures'],
  keys: import('openpgp').PublicKey[],
  url: string,
  now: Date,
): Promise<string> {
  const reasons: string[] = [];
  for (const signature of signatures) {
    try {
      await signature.verified;
    } catch (error) {
      reasons.push(messageOf(error));
      continue;
    }
    const key = keys.find((candidate) => candidate.getKeys(signature.keyID).length > 0)!;
    // openpgp.js accepts a signature made while its key was valid; apt (gpgv's EXPKEYSIG) does not once the key
    // has expired, so a repository whose key lapsed is refused here too.
    const expires = await key.getExpirationTime();
    if (expires instanceof Date && expires.getTime() < now.getTime()) {
      reasons.push(`the key ${key.getFingerprint().toUpperCase()} expired on ${expires.toISOString()}`);
      continue;
    }
    return key.getFingerprint().toUpperCase();
  }
  const trusted = keys.map((key) => key.getFingerprint().toUpperCase()).join(', ');
  throw new ReleaseVerificationError(
    `the signature of ${url} does not verify with the trusted key ${trusted}: ${reasons.join('; ') || 'no signature'}`,
  );
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
}

/** The fields of a Release file (RFC 822 style; a continuation line starts with a space). */
export function parseRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && current) {
      fields.set(current, `${fields.get(current) ?? ''}\n${line.trim()}`);
      continue;
    }
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    current = match[1]!;
    fields.set(current, match[2]!.trim());
  }
  return fields;
}

function parseSha256List(field: string): Map<string, ReleaseFile> {
  const files = new Map<string, ReleaseFile>();
  for (const line of field.split('\n')) {
    const match = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (match) files.set(match[3]!, { sha256: match[1]!, size: Number(match[2]) });
  }
  return files;
}

/**
 * The release must be the suite asked for, as apt requires: another suite's release, validly signed by the same
 * key, served in its place (an older distribution's, or one frozen elsewhere) is refused.
 */
function checkSuite(fields: Map<string, string>, suite: string, url: string): void {
  const named = [fields.get('Suite'), fields.get('Codename')].filter((name) => name !== undefined);
  if (named.includes(suite)) return;
  throw new ReleaseVerificationError(
    `the signed release ${url} is not the suite ${suite}: it names ` +
      (named.length
        ? `${named.map((name) => JSON.stringify(name)).join(' and ')} (Suite, Codename)`
        : 'no suite') +
      ", so it was served in another suite's place",
  );
}

/**
 * apt refuses a release past its `Valid-Until`: a mirror frozen in time could otherwise withhold fixes. A
 * `Valid-Until` that does not parse is refused too, rather than taken as no limit.
 */
function checkValidUntil(fields: Map<string, string>, url: string, now: Date): void {
  const validUntil = fields.get('Valid-Until');
  if (!validUntil) return;
  const until = Date.parse(validUntil);
  if (!Number.isFinite(until)) {
    throw new ReleaseVerificationError(
      `the signed release ${url} has a Valid-Until that is no date: ${JSON.stringify(validUntil)}`,
    );
  }
  if (until < now.getTime()) {
    throw new ReleaseVerificationError(`the signed release ${url} expired on ${validUntil} (Valid-Until)`);
  }
}
