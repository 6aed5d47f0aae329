/**
 * The apt repositories a client may come from, in the order `pg-apt-mirror` lists them (the PostgreSQL
 * repository is followed by its archive, where distributions go at their end of life). One that lacks the suite,
 * lacks the major, is refused, cannot be reached, or serves a .deb that fails its download or its checksum is
 * reported and the next one tried: a mirror half-way through a sync does not end the step while another remains.
 */
import { mkdir, rm } from 'node:fs/promises';
import * as core from '@actions/core';
import { ARCHIVE_APT_MIRROR, DEFAULT_APT_MIRROR } from '../shared/constants.js';
import { errorMessage } from '../shared/errors.js';
import { clientMajorsIn, installClientPackages, PackageNotInRepositoryError } from './apt-repository.js';
import { readClientRecord } from './client-record.js';
import type { PgClient } from './pg-client.js';
import type { Platform } from './platform.js';
import { type NewestClient, RepositoryLayer, type RepositoryTrust } from './repository-layer.js';
import { ReleaseVerificationError } from './signed-release.js';
import { DownloadError } from './verified-download.js';

/** The repositories to try for `mirrors`: the PostgreSQL repository brings its archive after it. */
export function repositoriesFor(mirrors: readonly string[]): string[] {
  const normalized = mirrors.map((mirror) => mirror.replace(/\/+$/, ''));
  const withArchive = normalized.flatMap((mirror) =>
    mirror === DEFAULT_APT_MIRROR && !normalized.includes(ARCHIVE_APT_MIRROR)
      ? [mirror, ARCHIVE_APT_MIRROR]
      : [mirror],
  );
  return [...new Set(withArchive)];
}

/** A client installed from one of the repositories. */
export interface InstalledClient extends NewestClient {
  readonly repository: RepositoryLayer;
}

export class RepositorySources {
  readonly layers: readonly RepositoryLayer[];
  /** Why each major was not found, one entry per repository. */
  private readonly problems = new Map<number, string[]>();

  constructor(mirrors: readonly string[], trust: RepositoryTrust, platform: Platform) {
    this.layers = repositoriesFor(mirrors).map((mirror) => new RepositoryLayer(mirror, trust, platform));
  }

  /** `https://a` or `https://a (then https://b)`, for messages. */
  get description(): string {
    const [first, ...rest] = this.layers.map((layer) => layer.mirror);
    return rest.length ? `${first} (then ${rest.join(', ')})` : (first ?? 'no repository');
  }

  reasons(major: number): string[] {
    return this.problems.get(major) ?? [];
  }

  /**
   * The newest build of `major` the first repository that offers it lists, or undefined when none answers
   * (each repository's reason is kept for the error message).
   */
  async newest(major: number): Promise<(NewestClient & { repository: RepositoryLayer }) | undefined> {
    for (const repository of this.layers) {
      try {
        return { ...(await repository.newest(major)), repository };
      } catch (error) {
        this.problem(major, repository, error);
      }
    }
    return undefined;
  }

  /**
   * Whether a kept client is the newest build, as the first repository with the suite says. When none can say
   * (unreachable, refused), it is used with a warning that names its version.
   */
  async isNewest(client: PgClient): Promise<boolean> {
    const record = await readClientRecord(client.binDir);
    const problems: string[] = [];
    for (const repository of this.layers) {
      try {
        return await repository.isNewest(record, client.version, client.major);
      } catch (error) {
        problems.push(`pg-apt-mirror ${repository.mirror}: ${repositoryProblem(error)}`);
      }
    }
    core.warning(
      `Could not check ${this.description} for a newer PostgreSQL ${client.major} client ` +
        `(${problems.join('; ')}), so the kept pg_dump ${client.version} from the ${client.source} is used.`,
    );
    return true;
  }

  /** The client majors the first readable `main` index offers. */
  async majors(): Promise<number[]> {
    for (const repository of this.layers) {
      const index = await repository.mainIndex().catch(() => undefined);
      if (index) return clientMajorsIn(index);
    }
    return [];
  }

  /**
   * Installs the newest build of `major` into `dir` from the first repository that offers it and whose files
   * arrive intact; undefined when none does. A failed download is reported and the next repository tried.
   */
  async install(major: number, platform: Platform, dir: string): Promise<InstalledClient | undefined> {
    for (const repository of this.layers) {
      let newest: NewestClient;
      try {
        newest = await repository.newest(major);
      } catch (error) {
        this.problem(major, repository, error);
        continue;
      }
      const { index, packages } = newest;
      core.info(
        `Downloading ${packages.client.name} ${packages.client.version} and libpq5 ${packages.libpq.version} ` +
          `from ${index.mirror} (${index.suite}, ${platform.debArch}; index signed by ` +
          `${(await repository.release()).signedBy})`,
      );
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      try {
        await installClientPackages(index, packages, major, platform, dir);
      } catch (error) {
        // A broken or mismatched file is refused (deleted, never installed); another source may have it whole.
        if (!(error instanceof DownloadError)) throw error;
        await rm(dir, { recursive: true, force: true });
        core.warning(`${packages.client.name} from ${index.mirror} was refused: ${error.message}`);
        this.problem(major, repository, error);
        continue;
      }
      return { ...newest, repository };
    }
    return undefined;
  }

  private problem(major: number, repository: RepositoryLayer, error: unknown): void {
    const problems = this.problems.get(major) ?? [];
    const reason =
      error instanceof PackageNotInRepositoryError
        ? error.message
        : `pg-apt-mirror ${repository.mirror}: ${repositoryProblem(error)}`;
    if (!problems.includes(reason)) problems.push(reason);
    this.problems.set(major, problems);
  }
}

/** Why a repository gave nothing: refused (and nothing installed from it), or what the download said. */
export function repositoryProblem(error: unknown): string {
  if (error instanceof ReleaseVerificationError) {
    return `refused, nothing was installed from it: ${error.message}`;
  }
  return errorMessage(error);
}
