/**
 * How a backup's objects are written: the dump's storage class, and the S3 Object Lock retention every object of
 * the backup gets (`storage-class`, `object-lock-days`, `object-lock-mode`). The manifest and the globals stay in
 * the store's default class, so that listing backups and reading `latest` stay fast and cheap.
 */
import { createHash } from 'node:crypto';
import type { StorageClass } from '@aws-sdk/client-s3';
import { Input } from '../shared/constants.js';
import { InputError } from '../shared/errors.js';

/** GOVERNANCE: an account with s3:BypassGovernanceRetention can still lift it; COMPLIANCE: nobody can. */
export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** The lock asked for: every object of a backup stays undeletable until its time plus `days`. */
export interface ObjectLockSettings {
  readonly mode: LockMode;
  readonly days: number;
}

export interface ObjectWrites {
  /** The dump's class; undefined sends none, and the store uses its default. */
  readonly storageClass: StorageClass | undefined;
  readonly objectLock: ObjectLockSettings | undefined;
}

/** A lock as one backup's objects carry it. */
export interface ObjectLock {
  readonly mode: LockMode;
  readonly retainUntil: Date;
}

/** A hundred years: a retain-until date further out is a typo, and under COMPLIANCE nobody could undo it. */
export const MAX_LOCK_DAYS = 36_500;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The classes of AWS S3 a backup can be written in and read back from at once. */
export const READABLE_STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'REDUCED_REDUNDANCY',
] as const satisfies readonly StorageClass[];

/** Classes whose objects cannot be read without a RestoreObject request first, and hours of waiting. */
const ARCHIVE_CLASSES: readonly string[] = ['GLACIER', 'DEEP_ARCHIVE'];
/** Classes of the SDK's list that belong to other kinds of buckets or to AWS services, not to an upload. */
const OTHER_BUCKET_CLASSES: readonly string[] = [
  'EXPRESS_ONEZONE',
  'OUTPOSTS',
  'SNOW',
  'FSX_ONTAP',
  'FSX_OPENZFS',
  'AWS_BACKUP_WARM',
  'AWS_BACKUP_LOW_COST_WARM',
];

/** `storage-class`, case-insensitive: a class a drill can read at once, or an InputError that says why not. */
export function parseStorageClass(raw: string): StorageClass | undefined {
  const name = raw.trim().toUpperCase();
  if (!name) return undefined;
  if ((READABLE_STORAGE_CLASSES as readonly string[]).includes(name)) return name as StorageClass;
  const accepted = READABLE_STORAGE_CLASSES.join(', ');
  if (ARCHIVE_CLASSES.includes(name)) {
    throw new InputError(
      Input.StorageClass,
      `${name} is an archive class: its objects cannot be read until a RestoreObject request has brought them ` +
        'back, which takes hours, so no drill or restore could read the backup. Use GLACIER_IR (archive ' +
        `prices, read at once), or one of ${accepted}.`,
    );
  }
  if (OTHER_BUCKET_CLASSES.includes(name)) {
    throw new InputError(
      Input.StorageClass,
      `${name} is not a class an upload to a general purpose bucket can choose: use one of ${accepted}.`,
    );
  }
  throw new InputError(
    Input.StorageClass,
    `'${raw.trim()}' is not an S3 storage class: use one of ${accepted}, or leave it empty for the bucket's default.`,
  );
}

/** The lock of the backup made at `createdAt`, which its retention counts from too; undefined without one. */
export function lockFor(writes: ObjectWrites | undefined, createdAt: Date): ObjectLock | undefined {
  const settings = writes?.objectLock;
  if (!settings) return undefined;
  return { mode: settings.mode, retainUntil: new Date(createdAt.getTime() + settings.days * DAY_MS) };
}

/**
 * The request fields that lock an object on upload. A PUT with a lock needs a checksum header on AWS ("Content-MD5
 * OR x-amz-checksum- HTTP header is required"): the SDK sends a CRC32 on AWS, and Content-MD5 is added here for the
 * S3-compatible stores, where the client sends checksums only when an operation requires them.
 */
export function lockFields(
  lock: ObjectLock | undefined,
  body?: Uint8Array,
): { ObjectLockMode?: LockMode; ObjectLockRetainUntilDate?: Date; ContentMD5?: string } {
  if (!lock) return {};
  return {
    ObjectLockMode: lock.mode,
    ObjectLockRetainUntilDate: lock.retainUntil,
    ...(body ? { ContentMD5: createHash('md5').update(body).digest('base64') } : {}),
  };
}
