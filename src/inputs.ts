/**
 * Every input of the action, read, checked and masked once, before any work starts, into the settings types the
 * domains own. Longer than the project's 300 lines on purpose: one typed inputs module, so that every input, its
 * default and its error message are found in one place.
 */
import { userInfo } from 'node:os';
import * as core from '@actions/core';
import { maskSecret } from './shared/posted-text.js';
import { AgeError, checkRecipientMix, type Identity, parseIdentity, parseRecipient } from './age/index.js';
import { checkCompressionSyntax } from './backup/compression.js';
import { parseDumpArgs } from './backup/dump-args.js';
import { DEFAULT_APT_MIRROR, Input } from './shared/constants.js';
import { parseDuration } from './shared/duration.js';
import type { NotifyWhen } from './notify/run-facts.js';
import { HEARTBEAT_METHODS, type HeartbeatSettings } from './notify/heartbeat.js';
import { secretUrlParts } from './shared/secret-url.js';
import { parseRetention, RETENTION_INPUTS, type RetentionPolicy } from './retention/policy.js';
import { InputError } from './shared/errors.js';
import type { RequestedVersion } from './installer/install-client.js';
import { type ConnectionTarget, ConnectionUrlError, parseConnectionUrl } from './postgres/connection-url.js';
import {
  MAX_LOCK_DAYS,
  type ObjectLockSettings,
  type ObjectWrites,
  parseStorageClass,
} from './storage/object-writes.js';
import { MAX_PARTS } from './storage/part-size.js';
import type { S3Settings } from './storage/s3-client.js';
import type { BackupSettings, DatabaseSelection, EncryptionSettings } from './backup/settings.js';
import type { DecryptionSettings } from './restore/settings.js';

export const MODES = ['backup', 'restore', 'drill', 'prune'] as const;
export type Mode = (typeof MODES)[number];

interface CommonInputs {
  readonly storage: S3Settings;
  readonly pgVersion: RequestedVersion;
  /** One or more repository base URLs, tried in order. */
  readonly pgAptMirrors: readonly string[];
  /** The armored key(s) of `pg-apt-key`; undefined trusts the pinned PostgreSQL repository key. */
  readonly pgAptKey: string | undefined;
  readonly notify: NotifyWhen;
  readonly slackWebhookUrl: string | undefined;
  /** `webhook-url`: the run's JSON document is posted there, when `notify` says so. */
  readonly webhookUrl: string | undefined;
  /** `heartbeat-url` and `heartbeat-method`: pinged at the start and the end of every run. */
  readonly heartbeat: HeartbeatSettings | undefined;
}

export interface BackupInputs extends CommonInputs, Omit<BackupSettings, 'database'> {
  readonly mode: 'backup';
  /** The databases to back up, each into its own folder with its own manifests and retention. */
  readonly databases: DatabaseSelection;
  /** Applied after a successful backup only; undefined: nothing is ever deleted. */
  readonly retention: RetentionPolicy | undefined;
}

export interface PruneInputs extends CommonInputs {
  readonly mode: 'prune';
  readonly databases: DatabaseNames;
  readonly retention: RetentionPolicy;
}

export interface RestoreInputs extends CommonInputs {
  readonly mode: 'restore' | 'drill';
  readonly target: ConnectionTarget;
  /** Whose backups: the `database` input, else the database named in `database-url`, else found in the bucket. */
  readonly databases: DatabaseNames;
  /** `latest`, or the key of a backup object or its manifest. */
  readonly backup: string;
  readonly decryption: DecryptionSettings;
  readonly maxBackupAgeSeconds: number | undefined;
  readonly maxRestoreSeconds: number | undefined;
  /** Drill: a shell command run against the restored database (the PR migration check). */
  readonly migrateCommand: string | undefined;
  /** Drill on a pull request: posts the report as one PR comment. */
  readonly githubToken: string | undefined;
  /**
   * `auto`: the backup's missing roles created, owners and privileges restored, the database's settings applied;
   * `none`: neither (pg_restore --no-owner --no-privileges). By default auto for a drill, none for a restore.
   */
  readonly ownership: 'auto' | 'none';
}

/**
 * Whose backups a restore, drill or prune works on: `all` (every database with a folder under the prefix), the
 * names given, or none given (the one database the prefix holds, or an error naming them).
 */
export type DatabaseNames = readonly string[] | 'all';

/** Every input of the action, read and checked once, before any work starts. */
export type Inputs = BackupInputs | RestoreInputs | PruneInputs;

export function loadInputs(env: NodeJS.ProcessEnv = process.env): Inputs {
  // Secrets are masked first, so that no later error can print them.
  const secretAccessKey = secretInput(Input.SecretAccessKey);
  const passphrase = secretInput(Input.Passphrase);
  const identityText = secretInput(Input.AgeIdentity);
  const githubToken = secretInput(Input.GithubToken);
  const slackWebhookUrl = secretUrlInput(Input.SlackWebhookUrl);
  const webhookUrl = secretUrlInput(Input.WebhookUrl);
  const heartbeatUrl = secretUrlInput(Input.HeartbeatUrl);
  const mode = readMode();
  const common: CommonInputs = {
    storage: readStorage(secretAccessKey),
    pgVersion: readPgVersion(),
    pgAptMirrors: readAptMirrors(),
    pgAptKey: readAptKey(),
    notify: readChoice(Input.Notify, ['failure', 'always', 'never'] as const, 'failure'),
    slackWebhookUrl: readSlackWebhook(slackWebhookUrl),
    webhookUrl: readSecretUrl(Input.WebhookUrl, webhookUrl, 'the URL that receives the JSON document'),
    heartbeat: readHeartbeat(heartbeatUrl),
  };
  const retention = readRetention();
  if (mode === 'prune') {
    if (!retention) {
      throw new InputError(
        Input.KeepLast,
        `and ${RETENTION_INPUTS.slice(1).join(', ')} are all empty: ` +
          'prune needs at least one rule (nothing is deleted without one).',
      );
    }
    return { ...common, mode, retention, databases: readDatabaseNames(env) };
  }
  if (mode === 'backup') {
    const compression = core.getInput(Input.Compression) || 'auto';
    checkCompressionSyntax(compression);
    return {
      ...common,
      storage: { ...common.storage, writes: readObjectWrites() },
      mode,
      databases: readDatabaseSelection(env),
      encryption: readEncryption(passphrase),
      compression,
      rowCounts: readChoice(Input.RowCounts, ['exact', 'estimate', 'off'] as const, 'exact'),
      pgDumpArgs: parseDumpArgs(core.getInput(Input.PgDumpArgs)),
      retention,
    };
  }
  return readRestoreInputs(common, mode, env, { identityText, passphrase, githubToken });
}

function readRestoreInputs(
  common: CommonInputs,
  mode: 'restore' | 'drill',
  env: NodeJS.ProcessEnv,
  secrets: { identityText: string; passphrase: string; githubToken: string },
): RestoreInputs {
  const { identityText, passphrase, githubToken } = secrets;
  const databases = readDatabaseNames(env);
  const backup = core.getInput(Input.Backup).trim() || 'latest';
  if (databases === 'all' || databases.length > 1) severalDatabasesAllowed(mode, backup, databases);
  return {
    ...common,
    mode,
    target: readConnectionUrl(Input.TargetUrl, core.getInput(Input.TargetUrl), env),
    databases,
    backup,
    decryption: { identities: readIdentities(identityText), passphrase: passphrase || undefined },
    maxBackupAgeSeconds: readDuration(Input.MaxBackupAge),
    maxRestoreSeconds: readDuration(Input.MaxRestoreTime),
    migrateCommand: readMigrateCommand(mode),
    githubToken: githubToken || undefined,
    ownership: readChoice(Input.Ownership, ['auto', 'none'] as const, mode === 'drill' ? 'auto' : 'none'),
  };
}

/** What the drill action's first step needs to find the backup and bring up a server of its major. */
export interface DrillTargetInputs {
  readonly storage: S3Settings;
  readonly backup: string;
  readonly databases: DatabaseNames;
}

export function loadDrillTargetInputs(env: NodeJS.ProcessEnv = process.env): DrillTargetInputs {
  const secretAccessKey = secretInput(Input.SecretAccessKey);
  return {
    storage: readStorage(secretAccessKey),
    backup: core.getInput(Input.Backup).trim() || 'latest',
    databases: readDatabaseNames(env),
  };
}

/** `database-url`, or the DATABASE_URL environment variable when the input is empty (as the contract says). */
function databaseUrlInput(env: NodeJS.ProcessEnv): string {
  return core.getInput(Input.DatabaseUrl) || env.DATABASE_URL || '';
}

function secretInput(name: Input): string {
  const value = core.getInput(name);
  if (value) maskSecret(value);
  return value;
}

function readMode(): Mode {
  const mode = (core.getInput(Input.Mode) || 'backup').trim().toLowerCase();
  if ((MODES as readonly string[]).includes(mode)) return mode as Mode;
  throw new InputError(Input.Mode, `'${mode}' is not a mode: use backup, restore, drill or prune.`);
}

function readChoice<T extends string>(name: Input, choices: readonly T[], fallback: T): T {
  const value = (core.getInput(name) || fallback).trim().toLowerCase();
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(name, `'${value}' is not one of ${choices.join(', ')}.`);
}

function readConnectionUrl(name: Input, raw: string, env: NodeJS.ProcessEnv): ConnectionTarget {
  if (!raw) {
    throw new InputError(
      name,
      name === Input.DatabaseUrl
        ? 'is empty and DATABASE_URL is not set: pass the database URL from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}'
        : 'is empty: give the database to restore into (postgresql://user:password@host:5432/dbname).',
    );
  }
  maskLikelyPassword(raw);
  let target: ConnectionTarget;
  try {
    target = parseConnectionUrl(raw, {
      user: env.PGUSER || userInfo().username,
      socketDir: '/var/run/postgresql',
    });
  } catch (error) {
    if (error instanceof ConnectionUrlError) throw new InputError(name, error.message);
    throw error;
  }
  if (target.password !== undefined) {
    maskSecret(target.password);
    maskSecret(encodeURIComponent(target.password));
  }
  return target;
}

/** Names in a list input, separated by commas or new lines (a database's name may hold a space). */
function listInput(name: Input): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The lines of `database-url` (or DATABASE_URL): one URL each; blank lines and `#` comments are skipped. */
function databaseUrlLines(env: NodeJS.ProcessEnv): string[] {
  return databaseUrlInput(env)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** `database-url` (one or several lines), with `databases` and `exclude-databases` when they are given. */
function readDatabaseSelection(env: NodeJS.ProcessEnv): DatabaseSelection {
  const lines = databaseUrlLines(env);
  const targets = (lines.length ? lines : ['']).map((line) =>
    readConnectionUrl(Input.DatabaseUrl, line, env),
  );
  const names = listInput(Input.Databases);
  const exclude = listInput(Input.ExcludeDatabases);
  if (exclude.length && !(names.length === 1 && names[0]!.toLowerCase() === 'all')) {
    throw new InputError(
      Input.ExcludeDatabases,
      'applies to databases: all only: set databases: all, or list the databases to back up and drop this input.',
    );
  }
  if (!names.length) return { kind: 'urls', targets: distinctFolders(targets) };
  if (targets.length > 1) {
    throw new InputError(
      Input.Databases,
      `names databases on the server of one database-url, but database-url has ${targets.length} lines: give ` +
        'one URL, or drop databases and give each database its own line in database-url.',
    );
  }
  if (names.some((name) => name.toLowerCase() === 'all')) {
    if (names.length > 1) {
      throw new InputError(
        Input.Databases,
        `is all together with names (${names.join(', ')}): give one or the other.`,
      );
    }
    return { kind: 'names', server: targets[0]!, names: 'all', exclude };
  }
  const slashed = names.find((name) => name.includes('/'));
  if (slashed) {
    throw new InputError(
      Input.Databases,
      `'${slashed}' cannot be a folder of the bucket: a database whose name holds '/' needs its own database-url line.`,
    );
  }
  return { kind: 'names', server: targets[0]!, names: [...new Set(names)], exclude };
}

/** Two URLs of databases with one name would write into one folder and prune each other's backups. */
function distinctFolders(targets: ConnectionTarget[]): ConnectionTarget[] {
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.database)) {
      throw new InputError(
        Input.DatabaseUrl,
        `names the database '${target.database}' on two lines: each database's backups live in <prefix>/<database>/, ` +
          'so two databases of one name would share (and prune) one folder. Back them up in separate steps with ' +
          'different prefixes.',
      );
    }
    seen.add(target.database);
  }
  return targets;
}

/**
 * `database` (a name, several, or `all`), else the databases named in `database-url`'s lines (the backup step's
 * own secret can be passed on unchanged), else none: the one database found in the bucket.
 */
function readDatabaseNames(env: NodeJS.ProcessEnv): DatabaseNames {
  const given = listInput(Input.Database);
  if (given.some((name) => name.toLowerCase() === 'all')) {
    if (given.length > 1) {
      throw new InputError(
        Input.Database,
        `is all together with names (${given.join(', ')}): give one or the other.`,
      );
    }
    return 'all';
  }
  if (given.length) return [...new Set(given)];
  return [
    ...new Set(databaseUrlLines(env).map((line) => readConnectionUrl(Input.DatabaseUrl, line, env).database)),
  ];
}

/** Several databases make sense for a drill of their latest backups and for prune, never for one restore. */
function severalDatabasesAllowed(mode: 'restore' | 'drill', backup: string, databases: DatabaseNames): void {
  const which = databases === 'all' ? 'all' : databases.join(', ');
  if (mode === 'restore') {
    throw new InputError(
      Input.Database,
      `names several databases (${which}): a restore writes one backup into target-url, so name one ` +
        '(database: shop). A drill (mode: drill) or prune takes several, or all.',
    );
  }
  if (core.getInput(Input.MigrateCommand).trim()) {
    throw new InputError(
      Input.Database,
      `names several databases (${which}) while migrate-command is set: a migration check runs against one ` +
        "database, so name the one the pull request's migrations are for.",
    );
  }
  if (backup !== 'latest') {
    throw new InputError(
      Input.Backup,
      `is a backup key while database names several databases (${which}): a drill of several restores each one's latest backup.`,
    );
  }
}

function readRetention(): RetentionPolicy | undefined {
  return parseRetention({
    'keep-last': core.getInput(Input.KeepLast),
    'keep-hourly': core.getInput(Input.KeepHourly),
    'keep-daily': core.getInput(Input.KeepDaily),
    'keep-weekly': core.getInput(Input.KeepWeekly),
    'keep-monthly': core.getInput(Input.KeepMonthly),
    'keep-yearly': core.getInput(Input.KeepYearly),
    'keep-within': core.getInput(Input.KeepWithin),
  });
}

function readSlackWebhook(url: string): string | undefined {
  if (!url) return undefined;
  if (!/^https?:\/\/\S+$/.test(url)) {
    throw new InputError(
      Input.SlackWebhookUrl,
      'is not a URL: give the incoming webhook URL Slack shows (https://hooks.slack.com/services/…).',
    );
  }
  return url;
}

/**
 * A URL that is a secret, masked whole and in its parts before anything can print it: a log that quotes only its
 * path or a token in its query (Teams' `sig`) is masked too.
 */
function secretUrlInput(name: Input): string {
  const value = core.getInput(name).trim();
  if (value) for (const part of secretUrlParts(value)) maskSecret(part);
  return value;
}

/** An http(s) URL, or undefined when empty; checked without quoting it, since the value is a secret. */
function readSecretUrl(name: Input, url: string, expected: string): string | undefined {
  if (!url) return undefined;
  if (!/^https?:\/\/\S+$/i.test(url) || !URL.canParse(url)) {
    throw new InputError(name, `is not an http:// or https:// URL: give ${expected}.`);
  }
  return url;
}

/** `heartbeat-method` is checked even without a URL, so a typo shows before the URL's secret is added. */
function readHeartbeat(rawUrl: string): HeartbeatSettings | undefined {
  const method = readChoice(Input.HeartbeatMethod, HEARTBEAT_METHODS, 'healthchecks');
  const url = readSecretUrl(
    Input.HeartbeatUrl,
    rawUrl,
    'the ping URL your monitoring service shows, e.g. https://hc-ping.com/<uuid>',
  );
  return url === undefined ? undefined : { url, method };
}

function readMigrateCommand(mode: 'restore' | 'drill'): string | undefined {
  const command = core.getInput(Input.MigrateCommand).trim();
  if (!command) return undefined;
  if (mode !== 'drill') {
    throw new InputError(
      Input.MigrateCommand,
      'runs in mode: drill only (after the restore and the row-count check).',
    );
  }
  return command;
}

function readIdentities(text: string): Identity[] {
  if (!text.trim()) return [];
  try {
    return parseIdentity(text);
  } catch (error) {
    if (error instanceof AgeError) throw new InputError(Input.AgeIdentity, `${error.message}.`);
    throw error;
  }
}

function readDuration(name: Input): number | undefined {
  const raw = core.getInput(name).trim();
  if (!raw) return undefined;
  const seconds = parseDuration(raw);
  if (seconds === undefined) {
    throw new InputError(name, `'${raw}' is not a duration: write it like 26h, 90m, 1h30m, 45s or 2d.`);
  }
  return seconds;
}

/**
 * Masks what looks like the password before the URL is parsed, so that even an error about a malformed URL
 * cannot show it: the text between the first ':' after '//' and the last '@' before the path.
 */
function maskLikelyPassword(raw: string): void {
  maskSecret(raw);
  const match = /^[^:]*:\/\/[^:@/]*:(.*)@[^@]*$/s.exec(raw.split('/').slice(0, 3).join('/'));
  const candidate = match?.[1];
  if (!candidate) return;
  maskSecret(candidate);
  try {
    maskSecret(decodeURIComponent(candidate));
  } catch {
    // Malformed percent-encoding: the raw form is masked already.
  }
}

function readStorage(secretAccessKey: string): S3Settings {
  const bucket = core.getInput(Input.Bucket).trim();
  if (!bucket) {
    throw new InputError(
      Input.Bucket,
      'is required: the name of the S3 or R2 bucket that receives the backups.',
    );
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$/.test(bucket)) {
    throw new InputError(
      Input.Bucket,
      `'${bucket}' is not a bucket name: give the name only (letters, digits, '.', '-', '_'), not a URL or a path.`,
    );
  }
  const prefix = (core.getInput(Input.Prefix) || 'postgres').trim();
  if (prefix.includes('..') || /[\\\0]/.test(prefix)) {
    throw new InputError(Input.Prefix, `'${prefix}' is not a usable key prefix.`);
  }
  const endpoint = readEndpoint();
  const region = core.getInput(Input.Region).trim() || (endpoint ? 'auto' : 'us-east-1');
  const forcePathStyle = readBoolean(Input.ForcePathStyle, endpoint !== undefined);
  const accessKeyId = core.getInput(Input.AccessKeyId).trim();
  if (accessKeyId && !secretAccessKey) {
    throw new InputError(
      Input.SecretAccessKey,
      'is empty while access-key-id is set: give both, or neither.',
    );
  }
  if (secretAccessKey && !accessKeyId) {
    throw new InputError(
      Input.AccessKeyId,
      'is empty while secret-access-key is set: give both, or neither.',
    );
  }
  return {
    bucket,
    prefix,
    endpoint,
    region,
    forcePathStyle,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined,
    maxParts: readMaxParts(),
  };
}

/** S3's own limit is the most any store allows; a store with a lower one needs larger parts. */
function readMaxParts(): number {
  const raw = core.getInput(Input.MaxParts).trim() || String(MAX_PARTS);
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_PARTS) {
    throw new InputError(
      Input.MaxParts,
      `'${raw}' is not a part count: give the most parts your store allows in one multipart upload, a whole number from 1 to ${MAX_PARTS} (S3, R2, MinIO: ${MAX_PARTS}; Scaleway: 1000).`,
    );
  }
  return value;
}

/** Backup: `storage-class` for the dump, and `object-lock-days` with `object-lock-mode` for every object. */
function readObjectWrites(): ObjectWrites | undefined {
  const storageClass = parseStorageClass(core.getInput(Input.StorageClass));
  const objectLock = readObjectLock();
  return storageClass || objectLock ? { storageClass, objectLock } : undefined;
}

function readObjectLock(): ObjectLockSettings | undefined {
  const raw = core.getInput(Input.ObjectLockDays).trim();
  if (!raw) {
    const mode = core.getInput(Input.ObjectLockMode).trim();
    if (mode) {
      throw new InputError(
        Input.ObjectLockMode,
        `is ${mode} while object-lock-days is empty: give object-lock-days (how long each backup stays ` +
          'undeletable), or drop object-lock-mode.',
      );
    }
    return undefined;
  }
  const days = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_LOCK_DAYS) {
    throw new InputError(
      Input.ObjectLockDays,
      `'${raw}' is not a number of days: give how many days each backup stays undeletable, a whole number ` +
        `from 1 to ${MAX_LOCK_DAYS}, no larger than the age at which the keep-* rules would delete it.`,
    );
  }
  const mode = readChoice(Input.ObjectLockMode, ['governance', 'compliance'] as const, 'governance');
  return { mode: mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE', days };
}

function readEndpoint(): string | undefined {
  const raw = core.getInput(Input.Endpoint).trim();
  if (!raw) return undefined;
  return httpUrl(
    Input.Endpoint,
    raw,
    'give the S3 API endpoint, e.g. https://<account-id>.r2.cloudflarestorage.com',
  );
}

/** An http(s) URL without trailing slashes, or an InputError that says what was expected. */
function httpUrl(name: Input, raw: string, expected: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(name, `'${raw}' is not a URL: ${expected}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `'${raw}' must be an http:// or https:// URL.`);
  }
  return raw.replace(/\/+$/, '');
}

function readBoolean(name: Input, fallback: boolean): boolean {
  const raw = core.getInput(name).trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new InputError(name, `'${raw}' is not a boolean: use true or false.`);
}

/** `none` in age-recipients turns encryption off explicitly. */
const ENCRYPTION_OFF = 'none';

function readEncryption(passphrase: string): EncryptionSettings {
  const keys = core
    .getInput(Input.AgeRecipients)
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (keys.length === 1 && keys[0]!.toLowerCase() === ENCRYPTION_OFF) {
    if (passphrase) {
      throw new InputError(
        Input.AgeRecipients,
        'is none (no encryption) while a passphrase is set: choose one.',
      );
    }
    core.warning(
      'age-recipients is none: this backup is stored unencrypted, readable by anyone who can read the bucket. ' +
        'Give an age public key (age-keygen) to encrypt it.',
      { title: 'Unencrypted backup' },
    );
    return { type: 'none' };
  }
  if (keys.length && passphrase) {
    throw new InputError(
      Input.Passphrase,
      'is set together with age-recipients: use public-key recipients (recommended: the backup job then holds no secret) or a passphrase, not both.',
    );
  }
  if (passphrase) return { type: 'passphrase', passphrase };
  if (!keys.length) {
    throw new InputError(
      Input.AgeRecipients,
      'is empty and no passphrase is set: give one or more age public keys (age1…, from `age-keygen`), ' +
        'or set age-recipients: none to store backups unencrypted.',
    );
  }
  try {
    const recipients = keys.map((key) => parseRecipient(key));
    checkRecipientMix(recipients);
    return { type: 'age', recipients, recipientKeys: keys };
  } catch (error) {
    if (error instanceof AgeError) throw new InputError(Input.AgeRecipients, `${error.message}.`);
    throw error;
  }
}

function readPgVersion(): RequestedVersion {
  const raw = (core.getInput(Input.PgVersion) || 'auto').trim().toLowerCase();
  if (raw === 'auto') return 'auto';
  if (/^\d+$/.test(raw) && Number(raw) >= 10 && Number(raw) <= 99) return Number(raw);
  const hint = /^\d+\.\d+/.test(raw) ? ` (give the major only: ${raw.split('.')[0]})` : '';
  throw new InputError(
    Input.PgVersion,
    `'${raw}' is not a PostgreSQL major version${hint}: use auto (the server's major) or a major such as 16.`,
  );
}

function readAptKey(): string | undefined {
  const raw = core.getInput(Input.PgAptKey).trim();
  if (!raw) return undefined;
  if (raw.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw new InputError(
      Input.PgAptKey,
      "this is a private key: give the repository's public signing key (gpg --armor --export KEYID) and keep the " +
        'private one off the runner.',
    );
  }
  if (!raw.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new InputError(
      Input.PgAptKey,
      "give the repository's signing key as an armored OpenPGP public key, the text beginning " +
        "'-----BEGIN PGP PUBLIC KEY BLOCK-----' that gpg --armor --export KEYID prints.",
    );
  }
  return raw;
}

/** One URL, or several separated by spaces or new lines: the repositories to try, in order. */
function readAptMirrors(): string[] {
  const raw = (core.getInput(Input.PgAptMirror) || DEFAULT_APT_MIRROR).trim();
  return raw
    .split(/\s+/)
    .filter(Boolean)
    .map((url) => httpUrl(Input.PgAptMirror, url, 'give the base URL of a PostgreSQL apt repository'));
}
