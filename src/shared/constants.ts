/** Names of the action's inputs, outputs and tools: the public surface fixed in docs/contract.md. */

export enum Input {
  Mode = 'mode',
  DatabaseUrl = 'database-url',
  Databases = 'databases',
  ExcludeDatabases = 'exclude-databases',
  Bucket = 'bucket',
  Prefix = 'prefix',
  Endpoint = 'endpoint',
  Region = 'region',
  ForcePathStyle = 'force-path-style',
  MaxParts = 'max-parts',
  StorageClass = 'storage-class',
  ObjectLockDays = 'object-lock-days',
  ObjectLockMode = 'object-lock-mode',
  AccessKeyId = 'access-key-id',
  SecretAccessKey = 'secret-access-key',
  AgeRecipients = 'age-recipients',
  Passphrase = 'passphrase',
  PgVersion = 'pg-version',
  PgAptMirror = 'pg-apt-mirror',
  PgAptKey = 'pg-apt-key',
  Compression = 'compression',
  RowCounts = 'row-counts',
  PgDumpArgs = 'pg-dump-args',
  TargetUrl = 'target-url',
  AgeIdentity = 'age-identity',
  Database = 'database',
  Backup = 'backup',
  MaxBackupAge = 'max-backup-age',
  MaxRestoreTime = 'max-restore-time',
  MigrateCommand = 'migrate-command',
  Ownership = 'ownership',
  GithubToken = 'github-token',
  KeepLast = 'keep-last',
  KeepHourly = 'keep-hourly',
  KeepDaily = 'keep-daily',
  KeepWeekly = 'keep-weekly',
  KeepMonthly = 'keep-monthly',
  KeepYearly = 'keep-yearly',
  KeepWithin = 'keep-within',
  SlackWebhookUrl = 'slack-webhook-url',
  WebhookUrl = 'webhook-url',
  HeartbeatUrl = 'heartbeat-url',
  HeartbeatMethod = 'heartbeat-method',
  Notify = 'notify',
}

export enum Output {
  Key = 'key',
  ManifestKey = 'manifest-key',
  SizeBytes = 'size-bytes',
  Sha256 = 'sha256',
  ServerVersion = 'server-version',
  PgDumpVersion = 'pg-dump-version',
  PgDumpSource = 'pg-dump-source',
  DurationSeconds = 'duration-seconds',
  TableCount = 'table-count',
  RowCount = 'row-count',
  BackupAgeSeconds = 'backup-age-seconds',
  RestoreSeconds = 'restore-seconds',
  TablesChecked = 'tables-checked',
  TablesMismatched = 'tables-mismatched',
  Result = 'result',
  MigrateSeconds = 'migrate-seconds',
  PrunedCount = 'pruned-count',
  /** Every database's outcome as one JSON array, for a run of one database or several. */
  Backups = 'backups',
}

export const DEFAULT_APT_MIRROR = 'https://apt.postgresql.org/pub/repos/apt';
/** Where the PostgreSQL apt repository keeps the suites of distributions past their end of life. */
export const ARCHIVE_APT_MIRROR = 'https://apt-archive.postgresql.org/pub/repos/apt';

/** The tool-cache name under which downloaded clients are stored (`$RUNNER_TOOL_CACHE/postgresql-client/…`). */
export const CLIENT_TOOL_NAME = 'postgresql-client';

/** The client programs the action needs; a client counts as found only when all of them are there. */
export const CLIENT_PROGRAMS = ['pg_dump', 'pg_restore', 'psql', 'pg_dumpall'] as const;

/** Written into every manifest; kept equal to package.json's version by a test. */
export const TOOL_NAME = 'postgres-backup-action';
export const TOOL_VERSION = '0.2.0';
