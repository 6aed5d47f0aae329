/**
 * Which backups to keep: restic's `forget --keep-*` rules, on UTC hours, days, ISO weeks, UTC months and UTC years
 * (restic's internal/data/snapshot_policy.go, ApplyPolicy).
 *
 * Going from the newest backup to the oldest, each counting rule keeps a backup when it opens a period (an hour,
 * day, week, month or year; for keep-last every backup is its own period) that the rule has not seen yet, until the
 * rule has kept its count. So keep-daily 7 keeps the newest backup of each of the last 7 days that have backups,
 * however far apart they are. As in restic, a rule that still has counts left when it reaches the oldest backup
 * keeps that one too, to keep the history as long as possible. keep-within keeps every backup made less than its
 * duration before the newest backup: like restic, it measures from the newest backup rather than from now, so a job
 * that stopped running for a month still keeps its last stretch of backups. A backup is kept when any rule keeps
 * it, and the newest backup is always kept.
 */
import { parseDuration } from '../shared/duration.js';
import { InputError } from '../shared/errors.js';

/** The action's inputs that set the rules, in the order of the rules. */
export const RETENTION_INPUTS = [
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
  'keep-within',
] as const;
export type RetentionInput = (typeof RETENTION_INPUTS)[number];

export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Seconds: every backup made less than this before the newest backup is kept. */
  readonly within?: number;
}

export interface BackupEntry {
  readonly manifestKey: string;
  readonly objectKey: string | undefined;
  readonly createdAt: Date;
}

type Rule = keyof RetentionPolicy;
/** The rules that keep a number of backups, one per period; keep-within keeps a stretch of time instead. */
type CountRule = Exclude<Rule, 'within'>;
export type KeepReason = Rule | 'newest';

export interface RetentionDecision {
  readonly backup: BackupEntry;
  readonly keep: boolean;
  readonly reasons: readonly KeepReason[];
}

/** In the order of RETENTION_INPUTS, which is the order a backup's reasons are listed in. */
const COUNT_RULES: readonly CountRule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const RULE_INPUT: Readonly<Record<CountRule, RetentionInput>> = {
  last: 'keep-last',
  hourly: 'keep-hourly',
  daily: 'keep-daily',
  weekly: 'keep-weekly',
  monthly: 'keep-monthly',
  yearly: 'keep-yearly',
};

/** The period a backup falls in for a rule; `index` is its place in the newest-first list. */
const RULE_PERIOD: Readonly<Record<CountRule, (createdAt: Date, index: number) => string>> = {
  last: (_createdAt, index) => String(index),
  hourly: (createdAt) => createdAt.toISOString().slice(0, 13),
  daily: (createdAt) => createdAt.toISOString().slice(0, 10),
  weekly: (createdAt) => isoWeek(createdAt),
  monthly: (createdAt) => createdAt.toISOString().slice(0, 7),
  yearly: (createdAt) => createdAt.toISOString().slice(0, 4),
};

/**
 * The policy set by the inputs' raw values: '' (or blanks) leaves a rule unset; a count must be a whole number of
 * 1 or more, keep-within a duration like max-backup-age's. Undefined when no rule is set: then nothing is ever
 * deleted.
 */
export function parseRetention(raw: Readonly<Record<RetentionInput, string>>): RetentionPolicy | undefined {
  const policy: { -readonly [R in Rule]?: number } = {};
  for (const rule of COUNT_RULES) {
    const count = parseCount(RULE_INPUT[rule], raw[RULE_INPUT[rule]]);
    if (count !== undefined) policy[rule] = count;
  }
  const within = parseWithin(raw['keep-within']);
  if (within !== undefined) policy.within = within;
  return Object.keys(policy).length ? policy : undefined;
}

/**
 * The action's one duration syntax (s, m, h, d, w, as max-backup-age), not restic's (y, m, d, h): restic's `m` is
 * months, and taking it here would make `90m` mean minutes in one input and months in the next.
 */
function parseWithin(raw: string): number | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    throw new InputError(
      'keep-within',
      `'${raw}' is not a duration: write it like 26h, 90m, 1h30m, 2d or 1w (m is minutes: write months and ` +
        'years in days or weeks, such as 30d or 52w), or leave it empty to turn this rule off.',
    );
  }
  return seconds;
}

function parseCount(input: RetentionInput, raw: string): number | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new InputError(
      input,
      `'${raw}' is not a number of backups to keep: use a whole number of 1 or more (such as 7), ` +
        'or leave it empty to turn this rule off.',
    );
  }
  return count;
}

/** Every backup, newest first, with whether to keep it and the rules that keep it. */
export function planRetention(backups: readonly BackupEntry[], policy: RetentionPolicy): RetentionDecision[] {
  const sorted = [...backups].sort(newestFirst); // stable: backups of the same second keep their order
  const counters = COUNT_RULES.flatMap((rule) => {
    const count = policy[rule];
    return count === undefined ? [] : [new RuleCounter(rule, count)];
  });
  const withinAfter = withinStart(sorted[0], policy.within);
  return sorted.map((backup, index) => {
    const oldest = index === sorted.length - 1;
    const reasons: KeepReason[] = counters
      .filter((counter) => counter.keeps(backup.createdAt, index, oldest))
      .map((counter) => counter.rule);
    // Strictly after, as restic's `cur.Time.After(latest - within)`: a backup exactly `within` older is dropped.
    if (withinAfter !== undefined && backup.createdAt.getTime() > withinAfter) reasons.push('within');
    if (index === 0) reasons.push('newest');
    return { backup, keep: reasons.length > 0, reasons };
  });
}

/** The time (ms) keep-within's stretch starts after: the newest backup's time less the duration. */
function withinStart(newest: BackupEntry | undefined, seconds: number | undefined): number | undefined {
  if (newest === undefined || seconds === undefined) return undefined;
  return newest.createdAt.getTime() - seconds * 1000;
}

/** One rule's state while walking from the newest backup to the oldest. */
class RuleCounter {
  private lastPeriod: string | undefined;

  constructor(
    readonly rule: CountRule,
    private left: number,
  ) {}

  /** Whether the rule keeps this backup; counts it when it does. Called once per backup, newest first. */
  keeps(createdAt: Date, index: number, oldest: boolean): boolean {
    if (this.left <= 0) return false;
    const period = RULE_PERIOD[this.rule](createdAt, index);
    if (period === this.lastPeriod && !oldest) return false;
    this.lastPeriod = period;
    this.left -= 1;
    return true;
  }
}

function newestFirst(a: BackupEntry, b: BackupEntry): number {
  return b.createdAt.getTime() - a.createdAt.getTime();
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The ISO 8601 week of a UTC time, as `2026-W53`: weeks start on Monday and belong to the year that holds their
 * Thursday, so 2026-12-31 and 2027-01-03 are in 2026-W53, and 2024-12-30 is in 2025-W01.
 */
export function isoWeek(date: Date): string {
  const mondayBased = (date.getUTCDay() + 6) % 7;
  const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 3 - mondayBased);
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
