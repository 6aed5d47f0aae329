import { Input } from '../shared/constants.js';
import { InputError } from '../shared/errors.js';

/** The first client major whose pg_dump takes `--compress=METHOD[:DETAIL]` (gzip, lz4, zstd, none). */
const METHODS_SINCE = 16;

const LEVELS: Record<string, [number, number]> = { gzip: [1, 9], lz4: [1, 12], zstd: [1, 22] };

/**
 * Turns the `compression` input into the `--compress` value for a pg_dump of `clientMajor`:
 * `auto` = `zstd:3` from 16 on, `gzip:6` (written `6`) before. Refuses what that pg_dump would refuse.
 */
export function resolveCompression(spec: string, clientMajor: number): string {
  const value = spec.trim().toLowerCase() || 'auto';
  if (value === 'auto') return clientMajor >= METHODS_SINCE ? 'zstd:3' : '6';
  if (value === 'none') return clientMajor >= METHODS_SINCE ? 'none' : '0';
  if (/^\d+$/.test(value)) {
    const level = Number(value);
    if (level > 9) throw invalid(spec, 'a plain number is a gzip level from 0 to 9');
    return value;
  }
  const match = /^(gzip|lz4|zstd)(?::(?:level=)?(\d+))?$/.exec(value);
  if (!match) {
    throw invalid(spec, 'use auto, none, a gzip level 0-9, or METHOD[:LEVEL] with METHOD gzip, lz4 or zstd');
  }
  const method = match[1]!;
  const [min, max] = LEVELS[method]!;
  const level = match[2] === undefined ? undefined : Number(match[2]);
  if (level !== undefined && (level < min || level > max)) {
    throw invalid(spec, `${method} levels go from ${min} to ${max}`);
  }
  if (clientMajor < METHODS_SINCE) {
    if (method === 'gzip') return String(level ?? 6);
    throw invalid(
      spec,
      `${method} needs pg_dump ${METHODS_SINCE} or newer, and this backup uses pg_dump ${clientMajor}`,
    );
  }
  return level === undefined ? method : `${method}:${level}`;
}

/** Syntax check done before any work, when the client's major is not known yet. */
export function checkCompressionSyntax(spec: string): void {
  resolveCompression(spec, METHODS_SINCE);
}

function invalid(spec: string, why: string): InputError {
  return new InputError(Input.Compression, `'${spec}' is not a valid compression: ${why}.`);
}
