import { Input } from '../shared/constants.js';
import { InputError } from '../shared/errors.js';

/**
 * Options the action sets itself or that would send the dump, or the connection, somewhere else. Each maps to
 * the reason given to the user.
 */
const FORBIDDEN: [RegExp, string][] = [
  [/^(-f|--file)(=|$)|^-f./, 'the dump is streamed to the bucket; it is never written to a file'],
  [/^(-F|--format)(=|$)|^-F./, 'the format is always custom (-Fc), the one pg_restore reads selectively'],
  [/^(-j|--jobs)(=|$)|^-j./, 'parallel dumps need the directory format, which cannot be streamed'],
  [/^(-Z|--compress)(=|$)|^-Z./, 'set the compression input instead'],
  [/^--snapshot(=|$)/, 'the action exports the snapshot itself, so row counts match the dump'],
  [/^(-d|--dbname)(=|$)|^-d./, 'the database comes from database-url'],
  [/^(-h|--host|-p|--port|-U|--username)(=|$)|^-[hpU]./, 'the connection comes from database-url'],
  [/^(-W|--password)$/, 'pg_dump cannot prompt here; the password comes from database-url'],
  [/^(-V|--version|-\?|--help)$/, 'it prints instead of dumping'],
];

/**
 * Splits `pg-dump-args` like a shell would (quotes, backslashes; no expansion) and refuses options the action
 * owns. Returns the arguments to append to pg_dump's command line.
 */
export function parseDumpArgs(text: string): string[] {
  const args = splitWords(text);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      throw new InputError(
        Input.PgDumpArgs,
        `'${arg}' is not an option: pg_dump's database comes from database-url, so only options are allowed here.`,
      );
    }
    for (const [pattern, reason] of FORBIDDEN) {
      if (pattern.test(arg)) throw new InputError(Input.PgDumpArgs, `'${arg}' is not allowed: ${reason}.`);
    }
    if (takesSeparateValue(arg)) {
      if (i + 1 >= args.length) throw new InputError(Input.PgDumpArgs, `'${arg}' needs a value after it.`);
      i++; // the value, e.g. the pattern after -T
    }
  }
  return args;
}

/** pg_dump's options that take a value (written `-T pattern`, `-Tpattern`, `--table pattern` or `--table=pattern`). */
const SHORT_WITH_VALUE = new Set(['-E', '-e', '-n', '-N', '-S', '-t', '-T']);
const LONG_WITH_VALUE = new Set([
  '--encoding',
  '--extension',
  '--exclude-extension',
  '--schema',
  '--exclude-schema',
  '--table',
  '--exclude-table',
  '--table-and-children',
  '--exclude-table-and-children',
  '--exclude-table-data',
  '--exclude-table-data-and-children',
  '--superuser',
  '--extra-float-digits',
  '--lock-wait-timeout',
  '--rows-per-insert',
  '--section',
  '--role',
  '--filter',
  '--restrict-key',
]);

function takesSeparateValue(arg: string): boolean {
  return SHORT_WITH_VALUE.has(arg) || LONG_WITH_VALUE.has(arg);
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text.charAt(++i);
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text.charAt(++i);
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new InputError(Input.PgDumpArgs, `has an unclosed ${quote} quote.`);
  if (inWord) words.push(current);
  return words;
}
