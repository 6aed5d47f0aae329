import * as core from '@actions/core';
import { startChild } from '../shared/child-process.js';
import type { ConnectionTarget } from '../postgres/connection-url.js';
import { connectionUrl } from '../postgres/format-url.js';
import { libpqEnvironment } from '../postgres/libpq-env.js';

const TAIL_LINES = 60;
const TAIL_BYTES = 16 * 1024;

export interface MigrationRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
  /** The last lines of the command's combined output. */
  readonly outputTail: string;
}

/**
 * Variables the command never gets: the action's own inputs (among them the age identity, the bucket's secret key,
 * the GitHub token and the Slack URL) and the runner's tokens for the Actions services. The command is a pull
 * request's code; what it needs it gets from the workflow's own `env:`.
 */
const WITHHELD = [/^INPUT_/, /^ACTIONS_RUNTIME_TOKEN$/, /^ACTIONS_ID_TOKEN_REQUEST_TOKEN$/];

/**
 * Runs `migrate-command` through bash with DATABASE_URL and the libpq PG* variables pointing at the restored
 * database (the password only in the environment), streaming its output to the log and keeping its tail.
 */
export async function runMigrationCommand(command: string, target: ConnectionTarget): Promise<MigrationRun> {
  const env = { ...libpqEnvironment(target), DATABASE_URL: connectionUrl(target) };
  for (const name of Object.keys(env)) {
    if (WITHHELD.some((pattern) => pattern.test(name))) Reflect.deleteProperty(env, name);
  }
  const started = performance.now();
  // stderr joins stdout, so the log and the tail keep the command's own order of lines.
  const child = startChild('bash', ['-eo', 'pipefail', '-c', `exec 2>&1\n${command}`], env);
  let tail = '';
  const keep = (text: string) => {
    tail = (tail + text).slice(-TAIL_BYTES);
    for (const line of text.split('\n')) if (line) core.info(`  | ${line}`);
  };
  child.process.stdout.setEncoding('utf8');
  child.process.stdout.on('data', keep);
  const exit = await child.exit;
  return {
    exitCode: exit.code,
    signal: exit.signal,
    seconds: (performance.now() - started) / 1000,
    outputTail: tail.split('\n').slice(-TAIL_LINES).join('\n').trim(),
  };
}
