import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Input } from '../shared/constants.js';
import { InputError } from '../shared/errors.js';
import { databaseFolder, joinPrefix, MANIFEST_SUFFIX, parseBackupName } from './object-layout.js';
import { objectExists } from './object-exists.js';
import type { S3Settings } from './s3-client.js';
import { explainS3Error } from './s3-errors.js';

/** The databases that have a folder under the prefix. */
export async function listDatabases(s3: S3Client, settings: S3Settings): Promise<string[]> {
  const prefix = joinPrefix(settings.prefix);
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await list(s3, settings, { Prefix: prefix, Delimiter: '/', ContinuationToken: token });
    for (const common of page.CommonPrefixes ?? []) {
      const name = common.Prefix?.slice(prefix.length).replace(/\/$/, '');
      if (name) names.push(name);
    }
    token = page.NextContinuationToken;
  } while (token);
  return names.sort();
}

/**
 * The key of the newest manifest under `<prefix>/<database>/`, through every page of the listing. Keys carry the
 * UTC time in a sortable form, so the greatest manifest key is the newest backup; objects without a manifest
 * (interrupted runs) are never considered.
 */
export async function latestManifestKey(
  s3: S3Client,
  settings: S3Settings,
  database: string,
): Promise<string | undefined> {
  let latest: string | undefined;
  let token: string | undefined;
  const folder = databaseFolder(settings.prefix, database);
  do {
    // Only the folder's own objects: a subfolder (a database named `app/x`) is not this database's.
    const page = await list(s3, settings, { Prefix: folder, Delimiter: '/', ContinuationToken: token });
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      const name = key?.startsWith(folder) ? parseBackupName(key.slice(folder.length)) : undefined;
      if (name?.suffix === MANIFEST_SUFFIX && (latest === undefined || key! > latest)) latest = key;
    }
    token = page.NextContinuationToken;
  } while (token);
  return latest;
}

/** The manifest key of `backup` (`latest`, an object key or a manifest key), or an InputError that says why not. */
export async function resolveManifestKey(
  s3: S3Client,
  settings: S3Settings,
  backup: string,
  databaseName: string | undefined,
): Promise<string> {
  if (backup !== 'latest') {
    const manifestKey = manifestKeyOf(backup);
    if (!(await objectExists(s3, settings, manifestKey))) {
      throw new InputError(
        Input.Backup,
        `no backup '${backup}' in bucket '${settings.bucket}' (its manifest ${manifestKey} does not exist): ` +
          'give latest, or the key of a backup object or manifest.',
      );
    }
    return manifestKey;
  }
  const database = databaseName ?? (await onlyDatabase(s3, settings));
  const latest = await latestManifestKey(s3, settings, database);
  if (!latest) {
    throw new Error(
      `No backup of '${database}' under s3://${settings.bucket}/${databaseFolder(settings.prefix, database)}: ` +
        'no manifest there (objects without one are interrupted runs). Check bucket, prefix and database.',
    );
  }
  return latest;
}

/** `x.dump.age` / `x.dump` / `x.manifest.json` → `x.manifest.json`. */
export function manifestKeyOf(key: string): string {
  if (key.endsWith(MANIFEST_SUFFIX)) return key;
  const match = /^(.*)\.dump(\.age)?$/.exec(key);
  if (!match) {
    throw new InputError(
      Input.Backup,
      `'${key}' is neither latest nor a backup key (…/<time>.dump.age, …/<time>.dump or …/<time>.manifest.json).`,
    );
  }
  return `${match[1]!}${MANIFEST_SUFFIX}`;
}

/** The one database with backups under the prefix, or an error listing them (or saying there are none). */
export async function onlyDatabase(s3: S3Client, settings: S3Settings): Promise<string> {
  const databases = await listDatabases(s3, settings);
  if (databases.length === 1) return databases[0]!;
  if (!databases.length) {
    throw new Error(
      `No backups under s3://${settings.bucket}/${joinPrefix(settings.prefix)}: check bucket and prefix.`,
    );
  }
  throw new InputError(
    Input.Database,
    `is not set and the prefix holds backups of several databases (${databases.join(', ')}): say which one.`,
  );
}

async function list(
  s3: S3Client,
  settings: S3Settings,
  params: { Prefix: string; Delimiter?: string; ContinuationToken: string | undefined },
) {
  try {
    return await s3.send(new ListObjectsV2Command({ Bucket: settings.bucket, ...params }));
  } catch (error) {
    throw new Error(explainS3Error(error, settings, 'list objects'), { cause: error });
  }
}
