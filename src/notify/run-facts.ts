/** What a finished run reports to every notification channel (Slack, the webhook, the heartbeat's failure ping). */

export type NotifyWhen = 'failure' | 'always' | 'never';

export type RunStatus = 'succeeded' | 'failed';

/** One database's part of a run that covered several (`databases`, several `database-url` lines, `database: all`). */
export interface DatabaseFacts {
  readonly database: string;
  readonly status: RunStatus;
  /** The backup's object key. */
  readonly key?: string;
  /** Backup: the size of the stored backup. */
  readonly sizeBytes?: number;
  /** Drill: the age of the restored backup, the recovery point. */
  readonly backupAgeSeconds?: number;
  /** Restore and drill: how long the restore took, the recovery time. */
  readonly restoreSeconds?: number;
  /** Drill: tables whose row counts were compared with the backup's manifest. */
  readonly tablesChecked?: number;
  /** Drill: tables whose row counts differ from the backup's manifest. */
  readonly tablesMismatched?: number;
  readonly prunedCount?: number;
  readonly durationSeconds?: number;
  /** The failure message. */
  readonly error?: string;
}

/**
 * A run's facts. A run of one database carries that database's facts on the run itself (the fields it shares with
 * DatabaseFacts); a run of several lists them in `databases`.
 */
export interface RunFacts extends Omit<DatabaseFacts, 'database' | 'status' | 'durationSeconds' | 'error'> {
  readonly mode: 'backup' | 'restore' | 'drill' | 'prune';
  readonly status: RunStatus;
  /** A run of one database: its name. */
  readonly database?: string;
  readonly durationSeconds: number;
  /** The failure message (for several databases: the step's summary of which failed). */
  readonly error?: string;
  /** A run of several databases: each one's facts, in the order they ran. Absent for a run of one. */
  readonly databases?: readonly DatabaseFacts[];
}

export function shouldNotify(when: NotifyWhen, status: RunStatus): boolean {
  return when === 'always' || (when === 'failure' && status === 'failed');
}
