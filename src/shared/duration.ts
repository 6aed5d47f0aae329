const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `26h`, `90m`, `1h30m`, `45s`, `2d`, `1w` → seconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(value)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  }
  return seconds > 0 ? seconds : undefined;
}

/**
 * The one way the action writes a duration: under a minute with a tenth of a second (`42.5 s`, what a small
 * restore takes), else in whole days, hours, minutes and seconds, leaving out the units that are zero
 * (`1m 23s`, `1h 5m`, `1d 2h 3m 4s`).
 */
export function formatDuration(seconds: number): string {
  if (seconds < 59.95) return `${Math.max(0, seconds).toFixed(1)} s`;
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
