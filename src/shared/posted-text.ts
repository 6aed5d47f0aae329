/**
 * Text posted where the runner's log masking does not reach: Slack, the webhook, the heartbeat, the PR comment
 * (posted through the API) and job summaries (which anyone who can read the repository reads). Errors and outputs
 * from PostgreSQL and from the migration tool quote rows and settings of the restored production data, and
 * statements that carry passwords; `scrubForPosting` leaves those out, with every secret the action masked.
 */
import * as core from '@actions/core';
import { withoutUrlCredentials } from './secret-url.js';

const known = new Set<string>();

/** Masks `value` in the log (core.setSecret) and remembers it, so that posted text leaves it out too. */
export function maskSecret(value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  known.add(value);
}

const ROW_DATA_NOTE = '(left out: it can quote rows)';

/** Each rule: what to find, and what stands in its place. */
const RULES: readonly [RegExp, string][] = [
  // PostgreSQL's DETAIL and CONTEXT lines quote rows (`Key (email)=(…)`, `COPY t, line 5, column c: "…"`): up to
  // the next field of the same message, or the line's end.
  [
    /\b(DETAIL|CONTEXT):[ \t]+[^\n]*?(?=\s+(?:HINT|DETAIL|CONTEXT|STATEMENT|Command was):|\n|$)/g,
    `$1: ${ROW_DATA_NOTE}`,
  ],
  // A setting's value in `invalid value for parameter "x": "…"`.
  [/(invalid value for parameter "[^"\n]*":\s*)"(?:[^"\n]|"")*"/g, '$1(value left out)'],
  // A subscription's or a dblink's libpq connection string, whole (cut statements included).
  [/\bCONNECTION\s+'(?:[^'\n]|'')*'?/gi, "CONNECTION '***'"],
  // libpq's keyword=value form, anywhere else.
  [/\b(password\s*=\s*)('(?:[^'\\\n]|\\.)*'|[^\s']+)/gi, '$1***'],
];

/** `text` without row data, connection secrets, and any value the action masked. */
export function scrubForPosting(text: string): string {
  let scrubbed = withoutUrlCredentials(
    RULES.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text),
  );
  // Longest first, so that a secret containing another is replaced whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    scrubbed = scrubbed.replaceAll(secret, '***');
  }
  return scrubbed;
}

/** For tests: forget the masked values. */
export function forgetMaskedSecrets(): void {
  known.clear();
}
