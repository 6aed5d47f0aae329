import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_FORMAT, type Manifest } from '../shared/manifest.js';
import type { S3Settings } from '../storage/s3-client.js';
import { explainS3Error } from '../storage/s3-errors.js';

/** A manifest that cannot be trusted to describe its backup. */
export class ManifestError extends Error {
  constructor(key: string, problem: string) {
    super(`The manifest ${key} ${problem}`);
    this.name = 'ManifestError';
  }
}

/** Reads and checks a manifest: its format, and every field a restore relies on. */
export async function readManifest(s3: S3Client, settings: S3Settings, key: string): Promise<Manifest> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw new Error(explainS3Error(error, settings, `read ${key}`), { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ManifestError(key, 'is not valid JSON: it is damaged.');
  }
  return checkManifest(key, data);
}

export function checkManifest(key: string, data: unknown): Manifest {
  const manifest = data as Partial<Manifest> | null;
  if (typeof manifest !== 'object' || manifest === null)
    throw new ManifestError(key, 'is not a JSON object.');
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new ManifestError(
      key,
      `has format ${JSON.stringify(manifest.format)}, which this version does not know (it reads format ${MANIFEST_FORMAT}): ` +
        'use a newer release of the action to restore it.',
    );
  }
  const object = manifest.object;
  if (
    !object ||
    typeof object.key !== 'string' ||
    typeof object.sizeBytes !== 'number' ||
    !/^[0-9a-f]{64}$/.test(object.sha256)
  ) {
    throw new ManifestError(key, 'has no valid object (key, sizeBytes, sha256).');
  }
  if (typeof manifest.createdAt !== 'string' || Number.isNaN(Date.parse(manifest.createdAt))) {
    throw new ManifestError(key, 'has no valid createdAt.');
  }
  if (!manifest.client || !/^\d+/.test(manifest.client.pgDump)) {
    throw new ManifestError(key, 'does not say which pg_dump made the backup (client.pgDump).');
  }
  if (!manifest.encryption || !['age', 'passphrase', 'none'].includes(manifest.encryption.type)) {
    throw new ManifestError(key, 'has no known encryption type.');
  }
  if (!manifest.rowCounts || !Array.isArray(manifest.rowCounts.tables)) {
    throw new ManifestError(key, 'has no rowCounts.');
  }
  return manifest as Manifest;
}

/** The major version of the pg_dump that made the backup: the pg_restore to use. */
export function backupMajor(manifest: Manifest): number {
  return Number(/^(\d+)/.exec(manifest.client.pgDump)![1]);
}
