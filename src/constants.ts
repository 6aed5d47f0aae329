/** Names of the action's inputs, outputs and tools: the public surface fixed in CONTRACT.md. */

export enum Input {
  DatabaseUrl = 'database-url',
  PgVersion = 'pg-version',
  PgAptMirror = 'pg-apt-mirror',
}

export enum Output {
  ServerVersion = 'server-version',
  PgDumpVersion = 'pg-dump-version',
  DurationSeconds = 'duration-seconds',
}

export const DEFAULT_APT_MIRROR = 'https://apt.postgresql.org/pub/repos/apt';

/** The tool-cache name under which downloaded clients are stored (`$RUNNER_TOOL_CACHE/postgresql-client/…`). */
export const CLIENT_TOOL_NAME = 'postgresql-client';

/** The client programs the action needs; a client counts as found only when all of them are there. */
export const CLIENT_PROGRAMS = ['pg_dump', 'pg_restore', 'psql'] as const;
