import { userInfo } from 'node:os';
import * as core from '@actions/core';
import { DEFAULT_APT_MIRROR, Input } from './constants.js';
import { InputError } from './errors.js';
import type { RequestedVersion } from './installer/install-client.js';
import { type ConnectionTarget, ConnectionUrlError, parseConnectionUrl } from './postgres/connection-url.js';

/** Every input of the action, read and checked once, before any work starts. */
export interface Inputs {
  readonly database: ConnectionTarget;
  readonly pgVersion: RequestedVersion;
  readonly pgAptMirror: string;
}

export function loadInputs(env: NodeJS.ProcessEnv = process.env): Inputs {
  return {
    database: readDatabaseUrl(env),
    pgVersion: readPgVersion(),
    pgAptMirror: readAptMirror(),
  };
}

function readDatabaseUrl(env: NodeJS.ProcessEnv): ConnectionTarget {
  const raw = core.getInput(Input.DatabaseUrl) || env.DATABASE_URL || '';
  if (!raw) {
    throw new InputError(
      Input.DatabaseUrl,
      'is empty and DATABASE_URL is not set: pass the database URL from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}',
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
    if (error instanceof ConnectionUrlError) throw new InputError(Input.DatabaseUrl, error.message);
    throw error;
  }
  if (target.password !== undefined) {
    core.setSecret(target.password);
    core.setSecret(encodeURIComponent(target.password));
  }
  return target;
}

/**
 * Masks what looks like the password before the URL is parsed, so that even an error about a malformed URL
 * cannot show it: the text between the first ':' after '//' and the last '@' before the path.
 */
function maskLikelyPassword(raw: string): void {
  core.setSecret(raw);
  const match = /^[^:]*:\/\/[^:@/]*:(.*)@[^@]*$/s.exec(raw.split('/').slice(0, 3).join('/'));
  const candidate = match?.[1];
  if (!candidate) return;
  core.setSecret(candidate);
  try {
    core.setSecret(decodeURIComponent(candidate));
  } catch {
    // Malformed percent-encoding: the raw form is masked already.
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

function readAptMirror(): string {
  const raw = (core.getInput(Input.PgAptMirror) || DEFAULT_APT_MIRROR).trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(
      Input.PgAptMirror,
      `'${raw}' is not a URL: give the base URL of a PostgreSQL apt repository.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(Input.PgAptMirror, `'${raw}' must be an http:// or https:// URL.`);
  }
  return raw.replace(/\/+$/, '');
}
