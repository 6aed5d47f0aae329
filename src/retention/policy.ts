/**
 * Which backups to keep: restic's `forget --keep-*` rules, on UTC days, ISO weeks and UTC months.
 *
 * Going from the newest backup to the oldest, each rule keeps a backup when it opens a period (a day, week or
 * month; for keep-last every backup is its own period) that the rule has not seen yet, until the rule has kept
 * its count. So keep-daily 7 keeps the newest backup of each of the last 7 days that have backups, however far
 * apart they are. As in restic, a rule that still has counts left when it reaches the oldest backup keeps that one
 * too, to keep the history as long as possible. A backup is kept when any rule keeps it, and the newest backup is
 * always kept.
 */
import { InputError } from '../shared/errors.js';

/** The action's inputs that set the rules, in the order of the rules. */
export const RETENTION_INPUTS = ['keep-last', 'keep-daily', 'keep-weekly', 'keep-monthly'] as const;
export type RetentionInput = (typeof RETENTION_INPUTS)[number];

export interface RetentionPolicy {
  readonly last?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
}

export interface BackupEntry {
  readonly manifestKey: string;
  readonly objectKey: string | undefined;
  readonly createdAt: Date;
}

type Rule = keyof RetentionPolicy;
export type KeepReason = Rule | 'newest';

export interface RetentionDecision {
  readonly backup: BackupEntry;
  readonly keep: boolean;
  readonly reasons: readonly KeepReason[];
}

const RULES: readonly Rule[] = ['last', 'daily', 'weekly', 'monthly'];

const RULE_INPUT: Readonly<Record<Rule, RetentionInput>> = {
  last: 'keep-last',
  daily: 'keep-daily',
  weekly: 'keep-weekly',
  monthly: 'keep-monthly',
};

/** The period a backup falls in for a rule; `index` is its place in the newest-first list. */
const RULE_PERIOD: Readonly<Record<Rule, (createdAt: Date, index: number) => string>> = {
  last: (_createdAt, index) => String(index),
  daily: (createdAt) => createdAt.toISOString().slice(0, 10),
  weekly: (createdAt) => isoWeek(createdAt),
  monthly: (createdAt) => createdAt.toISOString().slice(0, 7),
};

/**
 * The policy set by the four inputs' raw values: '' (or blanks) leaves a rule unset, anything else must be a whole
 * number of 1 or more. Undefined when no rule is set: then nothing is ever deleted.
 */
export function parseRetention(raw: Readonly<Record<RetentionInput, string>>): RetentionPolicy | undefined {
  const policy: { -readonly [R in Rule]?: number } = {};
  for (const rule of RULES) {
    const count = parseCount(RULE_INPUT[rule], raw[RULE_INPUT[rule]]);
    if (count !== undefined) policy[rule] = count;
  }
  return Object.keys(policy).length ? policy : undefined;
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
  const counters = RULES.flatMap((rule) => {
    const count = policy[rule];
    return count === undefined ? [] : [new RuleCounter(rule, count)];
  });
  return sorted.map((backup, index) => {
    const oldest = index === sorted.length - 1;
    const reasons: KeepReason[] = counters
      .filter((counter) => counter.keeps(backup.createdAt, index, oldest))
      .map((counter) => counter.rule);
    if (index === 0) reasons.push('newest');
    return { backup, keep: reasons.length > 0, reasons };
  });
}

/** One rule's state while walking from the newest backup to the oldest. */
class RuleCounter {
  private lastPeriod: string | undefined;

  constructor(
    readonly rule: Rule,
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
