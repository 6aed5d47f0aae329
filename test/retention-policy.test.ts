/**
 * Retention rules (restic's `forget --keep-*`, in UTC). The expected survivors are written out by hand from the
 * calendar, never computed by a second implementation of the rules.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { InputError } from '../src/shared/errors.js';
import {
  type BackupEntry,
  isoWeek,
  parseRetention,
  planRetention,
  type RetentionPolicy,
} from '../src/retention/policy.js';
import { timestampName } from '../src/storage/object-layout.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NO_RULES = {
  'keep-last': '',
  'keep-hourly': '',
  'keep-daily': '',
  'keep-weekly': '',
  'keep-monthly': '',
  'keep-yearly': '',
  'keep-within': '',
};

function backup(iso: string): BackupEntry {
  const createdAt = new Date(iso);
  const base = `postgres/app/${timestampName(createdAt)}`;
  return { manifestKey: `${base}.manifest.json`, objectKey: `${base}.dump.age`, createdAt };
}

/** One backup a day at `time` from `first` to `last` (inclusive), as ISO strings. */
function daily(first: string, last: string, time: string): string[] {
  const times: string[] = [];
  for (let t = Date.parse(`${first}T${time}Z`); t <= Date.parse(`${last}T${time}Z`); t += DAY_MS) {
    times.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  }
  return times;
}

/** The kept backups' times, newest first. */
function survivors(times: readonly string[], policy: RetentionPolicy): string[] {
  return planRetention(times.map(backup), policy)
    .filter((decision) => decision.keep)
    .map((decision) => decision.backup.createdAt.toISOString().replace('.000Z', 'Z'));
}

/**
 * 400 days of backups at 03:15, Wednesday 2025-12-03 to Wednesday 2027-01-06, and four extra runs: on the last
 * evening of November, on the last second of 2026 (a Thursday in 2026-W53), on Saturday 2027-01-02 at noon and on
 * Tuesday 2027-01-05 in the evening.
 */
const EXTRAS = [
  '2026-11-30T22:00:00Z',
  '2026-12-31T23:59:59Z',
  '2027-01-02T12:00:00Z',
  '2027-01-05T21:40:00Z',
];
const SERIES = [...daily('2025-12-03', '2027-01-06', '03:15:00'), ...EXTRAS];

describe('parseRetention', () => {
  it('is undefined when every input is empty or blank', () => {
    expect(parseRetention(NO_RULES)).toBeUndefined();
    expect(parseRetention({ ...NO_RULES, 'keep-weekly': '   ' })).toBeUndefined();
  });

  it('reads whole numbers, trimmed, into the rules that are set', () => {
    expect(parseRetention({ ...NO_RULES, 'keep-daily': '7' })).toEqual({ daily: 7 });
    expect(parseRetention({ ...NO_RULES, 'keep-last': ' 3 ' })).toEqual({ last: 3 });
    expect(
      parseRetention({
        ...NO_RULES,
        'keep-last': '1',
        'keep-daily': '7',
        'keep-weekly': '04',
        'keep-monthly': '12',
      }),
    ).toEqual({ last: 1, daily: 7, weekly: 4, monthly: 12 });
    expect(
      parseRetention({
        'keep-last': '1',
        'keep-hourly': '24',
        'keep-daily': '7',
        'keep-weekly': '4',
        'keep-monthly': '12',
        'keep-yearly': '3',
        'keep-within': '2d',
      }),
    ).toEqual({ last: 1, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3, within: 2 * 86_400 });
  });

  it.each([
    ['26h', 26 * 3600],
    ['90m', 90 * 60],
    ['1h30m', 90 * 60],
    ['1.5h', 90 * 60],
    ['45s', 45],
    ['2d', 2 * 86_400],
    [' 1w ', 7 * 86_400],
  ])('reads keep-within %j as %i seconds, in the syntax of max-backup-age', (value, seconds) => {
    expect(parseRetention({ ...NO_RULES, 'keep-within': value })).toEqual({ within: seconds });
  });

  it.each(['abc', '0', '0h', '-1h', '7', '3 days', '1y', '2mo', '1h-30m'])(
    'refuses keep-within %j, naming the input',
    (value) => {
      const parse = () => parseRetention({ ...NO_RULES, 'keep-within': value });
      expect(parse).toThrow(InputError);
      expect(parse).toThrow(
        `Input 'keep-within': '${value}' is not a duration: write it like 26h, 90m, 1h30m, 2d or 1w (m is minutes`,
      );
    },
  );

  it.each(
    ['keep-hourly', 'keep-yearly'].flatMap((input) =>
      ['0', 'abc', '-1', '1.5'].map((value) => [input, value]),
    ),
  )('refuses %s %j, naming the input', (input, value) => {
    const parse = () => parseRetention({ ...NO_RULES, [input]: value });
    expect(parse).toThrow(expect.objectContaining({ input }));
    expect(parse).toThrow(
      `Input '${input}': '${value}' is not a number of backups to keep: use a whole number of 1 or more`,
    );
  });

  it.each(['0', '-1', '1.5', 'abc', '+3', '1e3', '3 days', '99999999999999999999'])(
    'refuses %j, naming the input',
    (value) => {
      const parse = () => parseRetention({ ...NO_RULES, 'keep-daily': value });
      expect(parse).toThrow(InputError);
      expect(parse).toThrow(
        `Input 'keep-daily': '${value}' is not a number of backups to keep: use a whole number of 1 or more`,
      );
    },
  );

  it('names the input that is wrong when others are fine', () => {
    expect(() => parseRetention({ ...NO_RULES, 'keep-last': '2', 'keep-monthly': 'x' })).toThrow(
      expect.objectContaining({ input: 'keep-monthly' }),
    );
  });
});

describe('isoWeek', () => {
  it.each([
    ['2026-12-28T00:00:00Z', '2026-W53'], // Monday
    ['2026-12-31T23:59:59Z', '2026-W53'], // Thursday: 2026 has 53 weeks
    ['2027-01-03T23:59:59Z', '2026-W53'], // Sunday, already in 2027
    ['2027-01-04T00:00:00Z', '2027-W01'], // Monday
    ['2024-12-29T12:00:00Z', '2024-W52'], // Sunday
    ['2024-12-30T00:00:00Z', '2025-W01'], // Monday, still in 2024
    ['2021-01-03T12:00:00Z', '2020-W53'],
    ['2026-06-15T08:00:00Z', '2026-W25'],
  ])('%s is in %s', (iso, week) => {
    expect(isoWeek(new Date(iso))).toBe(week);
  });
});

describe('planRetention: restic examples', () => {
  it('keep-daily 4 on one backup every Sunday for 12 weeks keeps the last four Sundays (restic docs)', () => {
    const sundays = daily('2019-09-01', '2019-11-17', '11:00:00').filter((_, day) => day % 7 === 0);
    expect(sundays).toHaveLength(12);
    expect(survivors(sundays, { daily: 4 })).toEqual([
      '2019-11-17T11:00:00Z',
      '2019-11-10T11:00:00Z',
      '2019-11-03T11:00:00Z',
      '2019-10-27T11:00:00Z',
    ]);
  });

  it('keep-daily 4 counts days that have backups, the newest of each, however far apart', () => {
    const times = [
      '2025-05-01T08:00:00Z',
      '2025-05-02T08:00:00Z',
      '2025-05-02T11:00:00Z',
      '2025-05-04T09:00:00Z',
      '2025-05-05T10:00:00Z',
    ];
    expect(survivors(times, { daily: 4 })).toEqual([
      '2025-05-05T10:00:00Z',
      '2025-05-04T09:00:00Z',
      '2025-05-02T11:00:00Z',
      '2025-05-01T08:00:00Z',
    ]);
  });

  it('daily 7, weekly 5, monthly 12 on daily backups keeps 7 days, 4 more weeks and 11 more months (restic docs)', () => {
    // Ends on Sunday 2026-11-29: the 7 dailies are one whole ISO week, and November's newest is a daily.
    const times = daily('2025-10-26', '2026-11-29', '03:15:00');
    expect(survivors(times, { daily: 7, weekly: 5, monthly: 12 })).toEqual([
      ...['29', '28', '27', '26', '25', '24', '23'].map((day) => `2026-11-${day}T03:15:00Z`),
      ...['22', '15', '08', '01'].map((day) => `2026-11-${day}T03:15:00Z`),
      '2026-10-31T03:15:00Z',
      '2026-09-30T03:15:00Z',
      '2026-08-31T03:15:00Z',
      '2026-07-31T03:15:00Z',
      '2026-06-30T03:15:00Z',
      '2026-05-31T03:15:00Z',
      '2026-04-30T03:15:00Z',
      '2026-03-31T03:15:00Z',
      '2026-02-28T03:15:00Z',
      '2026-01-31T03:15:00Z',
      '2025-12-31T03:15:00Z',
    ]);
  });

  it('keeps the oldest backup too when a rule has counts left there (restic ≥ 0.17)', () => {
    const times = ['2025-05-01T08:00:00Z', '2025-05-01T20:00:00Z', '2025-05-02T11:00:00Z'];
    expect(planRetention(times.map(backup), { daily: 4 }).map((decision) => decision.reasons)).toEqual([
      ['daily', 'newest'],
      ['daily'],
      ['daily'],
    ]);
    expect(survivors(times, { daily: 2 })).toEqual(['2025-05-02T11:00:00Z', '2025-05-01T20:00:00Z']);
  });
});

describe('planRetention: 400 days of backups', () => {
  it('has the series it claims', () => {
    expect(SERIES).toHaveLength(404);
    expect(SERIES[0]).toBe('2025-12-03T03:15:00Z');
    expect(SERIES[399]).toBe('2027-01-06T03:15:00Z');
  });

  it('keep-last 3 keeps the three newest runs, two of them on one day', () => {
    expect(survivors(SERIES, { last: 3 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2027-01-05T21:40:00Z',
      '2027-01-05T03:15:00Z',
    ]);
  });

  it('keep-daily 7 keeps the newest run of each of the last 7 days', () => {
    expect(survivors(SERIES, { daily: 7 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2027-01-05T21:40:00Z',
      '2027-01-04T03:15:00Z',
      '2027-01-03T03:15:00Z',
      '2027-01-02T12:00:00Z',
      '2027-01-01T03:15:00Z',
      '2026-12-31T23:59:59Z',
    ]);
  });

  it('keep-daily 7 + keep-weekly 4 + keep-monthly 12 keeps their union, with the rules that keep each', () => {
    const kept = planRetention(SERIES.map(backup), { daily: 7, weekly: 4, monthly: 12 })
      .filter((decision) => decision.keep)
      .map((decision) => [decision.backup.createdAt.toISOString().replace('.000Z', 'Z'), decision.reasons]);
    expect(kept).toEqual([
      // 2027-W01 and January 2027.
      ['2027-01-06T03:15:00Z', ['daily', 'weekly', 'monthly', 'newest']],
      ['2027-01-05T21:40:00Z', ['daily']],
      ['2027-01-04T03:15:00Z', ['daily']],
      // Sunday: the newest of 2026-W53, which began on Monday 2026-12-28.
      ['2027-01-03T03:15:00Z', ['daily', 'weekly']],
      ['2027-01-02T12:00:00Z', ['daily']],
      ['2027-01-01T03:15:00Z', ['daily']],
      ['2026-12-31T23:59:59Z', ['daily', 'monthly']],
      // The Sundays ending 2026-W52 and 2026-W51.
      ['2026-12-27T03:15:00Z', ['weekly']],
      ['2026-12-20T03:15:00Z', ['weekly']],
      // The last run of each month back to February 2026 (12 months with January 2027).
      ['2026-11-30T22:00:00Z', ['monthly']],
      ['2026-10-31T03:15:00Z', ['monthly']],
      ['2026-09-30T03:15:00Z', ['monthly']],
      ['2026-08-31T03:15:00Z', ['monthly']],
      ['2026-07-31T03:15:00Z', ['monthly']],
      ['2026-06-30T03:15:00Z', ['monthly']],
      ['2026-05-31T03:15:00Z', ['monthly']],
      ['2026-04-30T03:15:00Z', ['monthly']],
      ['2026-03-31T03:15:00Z', ['monthly']],
      ['2026-02-28T03:15:00Z', ['monthly']],
    ]);
  });

  it('keep-monthly 3 alone keeps the newest run of the last three months', () => {
    expect(survivors(SERIES, { monthly: 3 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2026-12-31T23:59:59Z',
      '2026-11-30T22:00:00Z',
    ]);
  });

  it('keep-monthly 24 over 14 months keeps every month and the oldest run', () => {
    expect(survivors(SERIES, { monthly: 24 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2026-12-31T23:59:59Z',
      '2026-11-30T22:00:00Z',
      '2026-10-31T03:15:00Z',
      '2026-09-30T03:15:00Z',
      '2026-08-31T03:15:00Z',
      '2026-07-31T03:15:00Z',
      '2026-06-30T03:15:00Z',
      '2026-05-31T03:15:00Z',
      '2026-04-30T03:15:00Z',
      '2026-03-31T03:15:00Z',
      '2026-02-28T03:15:00Z',
      '2026-01-31T03:15:00Z',
      '2025-12-31T03:15:00Z',
      '2025-12-03T03:15:00Z',
    ]);
  });

  it.each<RetentionPolicy>([
    { last: 1 },
    { hourly: 1 },
    { daily: 1 },
    { weekly: 1 },
    { monthly: 1 },
    { yearly: 1 },
    { within: 1 },
  ])('%o keeps only the newest backup', (policy) => {
    const decisions = planRetention(SERIES.map(backup), policy);
    expect(decisions.filter((decision) => decision.keep)).toEqual([
      { backup: backup('2027-01-06T03:15:00Z'), keep: true, reasons: [...Object.keys(policy), 'newest'] },
    ]);
  });

  it('keep-yearly 2 keeps the newest run of 2027 and the last second of 2026', () => {
    expect(survivors(SERIES, { yearly: 2 })).toEqual(['2027-01-06T03:15:00Z', '2026-12-31T23:59:59Z']);
  });

  it('keep-yearly 5 over three years keeps the newest run of each and the oldest run', () => {
    expect(survivors(SERIES, { yearly: 5 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2026-12-31T23:59:59Z',
      '2025-12-31T03:15:00Z',
      '2025-12-03T03:15:00Z',
    ]);
  });

  it('keep-monthly 3 + keep-yearly 3 keeps their union, with the rules that keep each', () => {
    const kept = planRetention(SERIES.map(backup), { monthly: 3, yearly: 3 })
      .filter((decision) => decision.keep)
      .map((decision) => [decision.backup.createdAt.toISOString().replace('.000Z', 'Z'), decision.reasons]);
    expect(kept).toEqual([
      ['2027-01-06T03:15:00Z', ['monthly', 'yearly', 'newest']],
      ['2026-12-31T23:59:59Z', ['monthly', 'yearly']],
      ['2026-11-30T22:00:00Z', ['monthly']],
      ['2025-12-31T03:15:00Z', ['yearly']],
    ]);
  });

  it('keep-within 2d keeps what is less than 2 days older than the newest run: exactly 2 days older is dropped', () => {
    // The newest run is 2027-01-06T03:15:00Z, so 2027-01-04T03:15:00Z is exactly on the boundary.
    expect(survivors(SERIES, { within: 2 * 86_400 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2027-01-05T21:40:00Z',
      '2027-01-05T03:15:00Z',
    ]);
    expect(survivors(SERIES, { within: 2 * 86_400 + 1 })).toEqual([
      '2027-01-06T03:15:00Z',
      '2027-01-05T21:40:00Z',
      '2027-01-05T03:15:00Z',
      '2027-01-04T03:15:00Z',
    ]);
  });

  it('keep-within 2d + keep-monthly 3 keeps their union, with the rules that keep each', () => {
    const kept = planRetention(SERIES.map(backup), { monthly: 3, within: 2 * 86_400 })
      .filter((decision) => decision.keep)
      .map((decision) => [decision.backup.createdAt.toISOString().replace('.000Z', 'Z'), decision.reasons]);
    expect(kept).toEqual([
      ['2027-01-06T03:15:00Z', ['monthly', 'within', 'newest']],
      ['2027-01-05T21:40:00Z', ['within']],
      ['2027-01-05T03:15:00Z', ['within']],
      ['2026-12-31T23:59:59Z', ['monthly']],
      ['2026-11-30T22:00:00Z', ['monthly']],
    ]);
  });

  it('sorts the decisions newest first whatever the order it is given', () => {
    const rotated = [...SERIES.slice(200), ...SERIES.slice(0, 200)];
    const decisions = planRetention(rotated.map(backup), { daily: 7 });
    expect(decisions.map((decision) => decision.backup.createdAt.getTime())).toEqual(
      SERIES.map((iso) => Date.parse(iso)).sort((a, b) => b - a),
    );
  });
});

/** Every 3 hours from `first` to `last` (inclusive, both on the hour), as ISO strings. */
function every3Hours(first: string, last: string): string[] {
  const times: string[] = [];
  for (let t = Date.parse(first); t <= Date.parse(last); t += 3 * 60 * 60 * 1000) {
    times.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  }
  return times;
}

describe('planRetention: keep-hourly and keep-within', () => {
  /** Every 3 hours over new year, 2026-12-31T00:00 to 2027-01-01T06:00, and two runs late in an hour. */
  const NEW_YEAR = [
    ...every3Hours('2026-12-31T00:00:00Z', '2027-01-01T06:00:00Z'),
    '2026-12-31T23:59:59Z',
    '2027-01-01T06:40:00Z',
  ];

  it('keep-hourly 4 keeps the newest run of each of the last 4 UTC hours that have one, across midnight', () => {
    expect(NEW_YEAR).toHaveLength(13);
    // 06:00 shares its hour with 06:40; 23:59:59 and 00:00 are one second, and two hours, apart.
    expect(survivors(NEW_YEAR, { hourly: 4 })).toEqual([
      '2027-01-01T06:40:00Z',
      '2027-01-01T03:00:00Z',
      '2027-01-01T00:00:00Z',
      '2026-12-31T23:59:59Z',
    ]);
    expect(survivors(NEW_YEAR, { hourly: 6 })).toEqual([
      '2027-01-01T06:40:00Z',
      '2027-01-01T03:00:00Z',
      '2027-01-01T00:00:00Z',
      '2026-12-31T23:59:59Z',
      '2026-12-31T21:00:00Z',
      '2026-12-31T18:00:00Z',
    ]);
  });

  it('keep-hourly with counts left at the oldest run keeps every hour and the oldest run', () => {
    const times = ['2026-05-01T10:05:00Z', '2026-05-01T10:35:00Z', '2026-05-01T11:05:00Z'];
    expect(planRetention(times.map(backup), { hourly: 24 }).map((decision) => decision.reasons)).toEqual([
      ['hourly', 'newest'],
      ['hourly'],
      ['hourly'],
    ]);
  });

  it('keep-hourly 24 + keep-daily 7 on a 3-hourly schedule keeps 3 days of runs and 4 more days', () => {
    const times = every3Hours('2026-12-25T00:00:00Z', '2027-01-03T21:00:00Z');
    expect(times).toHaveLength(80);
    const kept = planRetention(times.map(backup), { hourly: 24, daily: 7 })
      .filter((decision) => decision.keep)
      .map((decision) => [decision.backup.createdAt.toISOString().replace('.000Z', 'Z'), decision.reasons]);
    const hours = ['21', '18', '15', '12', '09', '06', '03', '00'];
    expect(kept).toEqual([
      ...['03', '02', '01'].flatMap((day) =>
        hours.map((hour) => [
          `2027-01-${day}T${hour}:00:00Z`,
          [
            ...(hour === '21' ? ['hourly', 'daily'] : ['hourly']),
            ...(day === '03' && hour === '21' ? ['newest'] : []),
          ],
        ]),
      ),
      ...['31', '30', '29', '28'].map((day) => [`2026-12-${day}T21:00:00Z`, ['daily']]),
    ]);
  });

  it('keep-within measures from the newest backup, not from now: a series that stopped long ago keeps its end', () => {
    const june2025 = daily('2025-06-01', '2025-06-30', '03:15:00');
    expect(survivors(june2025, { within: 3 * 86_400 })).toEqual([
      '2025-06-30T03:15:00Z',
      '2025-06-29T03:15:00Z',
      '2025-06-28T03:15:00Z',
    ]);
  });

  it('keep-within has no count, so it does not keep the oldest backup as the counting rules do', () => {
    const times = ['2025-05-01T08:00:00Z', '2025-05-10T08:00:00Z', '2025-05-11T08:00:00Z'];
    expect(
      planRetention(times.map(backup), { within: 2 * 86_400 }).map((decision) => decision.reasons),
    ).toEqual([['within', 'newest'], ['within'], []]);
  });

  it('keep-within 6h + keep-hourly 2 + keep-last 1 over new year keeps their union', () => {
    // 6 hours before 06:40 is 00:40: 00:00 and 23:59:59 are older.
    const kept = planRetention(NEW_YEAR.map(backup), { last: 1, hourly: 2, within: 6 * 3600 })
      .filter((decision) => decision.keep)
      .map((decision) => [decision.backup.createdAt.toISOString().replace('.000Z', 'Z'), decision.reasons]);
    expect(kept).toEqual([
      ['2027-01-01T06:40:00Z', ['last', 'hourly', 'within', 'newest']],
      ['2027-01-01T06:00:00Z', ['within']],
      ['2027-01-01T03:00:00Z', ['hourly', 'within']],
    ]);
  });
});

describe('planRetention: calendar edges', () => {
  it('the newest backup survives even without a rule', () => {
    expect(survivors(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], {})).toEqual(['2026-01-02T00:00:00Z']);
  });

  it('keep-weekly counts ISO weeks across new year: 2027-01-03 is in 2026-W53 with 2026-12-28', () => {
    const times = [
      '2026-12-28T09:00:00Z',
      '2026-12-31T09:00:00Z',
      '2027-01-03T23:00:00Z',
      '2027-01-04T00:30:00Z',
    ];
    expect(survivors(times, { weekly: 2 })).toEqual(['2027-01-04T00:30:00Z', '2027-01-03T23:00:00Z']);
  });

  it('keep-weekly counts ISO weeks across new year: 2024-12-30 is in 2025-W01', () => {
    const times = ['2024-12-29T09:00:00Z', '2024-12-30T09:00:00Z', '2025-01-05T09:00:00Z'];
    expect(survivors(times, { weekly: 2 })).toEqual(['2025-01-05T09:00:00Z', '2024-12-29T09:00:00Z']);
  });

  describe('in a time zone far from UTC', () => {
    const zone = process.env.TZ;
    afterEach(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it('keep-daily and keep-monthly cut days and months at UTC midnight', () => {
      process.env.TZ = 'Pacific/Kiritimati'; // UTC+14: 23:30 UTC is already the next day there
      expect(new Date('2026-03-31T23:30:00Z').getDate()).toBe(1);
      const times = ['2026-03-31T00:30:00Z', '2026-03-31T23:30:00Z', '2026-04-01T00:30:00Z'];
      expect(survivors(times, { daily: 2 })).toEqual(['2026-04-01T00:30:00Z', '2026-03-31T23:30:00Z']);
      expect(survivors(times, { monthly: 2 })).toEqual(['2026-04-01T00:30:00Z', '2026-03-31T23:30:00Z']);
    });

    it('keep-yearly cuts years at UTC midnight', () => {
      process.env.TZ = 'Pacific/Kiritimati';
      const times = ['2026-12-31T00:30:00Z', '2026-12-31T23:30:00Z', '2027-01-01T00:30:00Z'];
      expect(survivors(times, { yearly: 2 })).toEqual(['2027-01-01T00:30:00Z', '2026-12-31T23:30:00Z']);
    });

    it('keep-hourly cuts hours at UTC, not at the hours of a half-hour zone', () => {
      process.env.TZ = 'Asia/Kolkata'; // UTC+5:30: 10:10 and 10:50 UTC are 15:40 and 16:20 there
      expect(new Date('2026-03-31T10:50:00Z').getHours()).toBe(16);
      const times = ['2026-03-31T10:10:00Z', '2026-03-31T10:50:00Z', '2026-03-31T11:10:00Z'];
      expect(survivors(times, { hourly: 2 })).toEqual(['2026-03-31T11:10:00Z', '2026-03-31T10:50:00Z']);
    });
  });
});
