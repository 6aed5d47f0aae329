import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { Input } from '../shared/constants.js';
import { errorMessage, InputError } from '../shared/errors.js';
import { type ClientCacheStore, clientCacheKeyPrefix } from './actions-cache-store.js';
import { clientMajorsIn, installClientPackages, PackageNotInRepositoryError } from './apt-repository.js';
import { readClientRecord } from './client-record.js';
import { type PgClient, probeClient } from './pg-client.js';
import type { Platform } from './platform.js';
import { listRunnerClients, type RunnerSearch } from './runner-clients.js';
import { type NewestClient, RepositoryLayer, type RepositoryTrust } from './repository-layer.js';
import { ReleaseVerificationError } from './signed-release.js';
import { listToolCacheClients, storeInToolCache } from './tool-cache-clients.js';

/** `auto`, or an explicit client major. */
export type RequestedVersion = 'auto' | number;

export interface InstallerOptions {
  /** Base URL of a PostgreSQL apt repository (`pg-apt-mirror`). */
  readonly mirror: string;
  /** The key its signed release must verify with: the pinned repository key, or `pg-apt-key`. */
  readonly trust: RepositoryTrust;
  readonly runnerSearch: RunnerSearch;
  readonly cacheStore: ClientCacheStore;
  /** Where clients are assembled before the tool cache takes them (`$RUNNER_TEMP`); also the Actions-cache path. */
  readonly workDir: string;
  readonly platform: () => Promise<Platform>;
  /** Node's architecture name, for the tool cache. */
  readonly arch: string;
}

/**
 * Finds or installs the client for a server of major `serverMajor`: exactly that major when any layer has it
 * (runner, tool cache, Actions cache, apt repository, first hit wins), otherwise, for `auto`, the nearest newer
 * major with a warning. Never an older one: pg_dump refuses to dump a newer server.
 */
export async function provideClient(
  serverMajor: number,
  requested: RequestedVersion,
  options: InstallerOptions,
): Promise<PgClient> {
  if (requested !== 'auto' && requested < serverMajor) {
    throw new InputError(
      Input.PgVersion,
      `${requested} is older than the server's major version ${serverMajor}. pg_dump ${requested} refuses to dump a ` +
        `PostgreSQL ${serverMajor} server ("server version mismatch"), so it cannot back it up. Use pg-version: auto, ` +
        `or ${serverMajor} or newer.`,
    );
  }
  const wanted = requested === 'auto' ? serverMajor : requested;
  const search = new ClientSearch(options);
  const exact = await search.find(wanted);
  if (exact) return exact;
  if (requested !== 'auto') {
    throw new InputError(
      Input.PgVersion,
      `no PostgreSQL ${wanted} client could be installed: ${search.reasons(wanted)}`,
    );
  }

  const newerMajor = await search.nearestNewerMajor(wanted);
  const newer = newerMajor === undefined ? undefined : await search.find(newerMajor);
  if (!newer) {
    throw new Error(
      `No pg_dump ${wanted} or newer could be found or installed for this PostgreSQL ${serverMajor} server: ` +
        `${search.reasons(wanted)}. Set pg-apt-mirror to a reachable PostgreSQL apt repository, or put pg_dump ` +
        `${wanted} on PATH before this step.`,
    );
  }
  core.warning(
    `No pg_dump ${wanted} is available (${search.reasons(wanted)}), so pg_dump ${newer.major}, the nearest newer ` +
      `major, is used. It dumps a ${wanted} server correctly, but a client newer than the server can write SQL that ` +
      `an older server rejects at restore (for example SET transaction_timeout from 17 on): restore with ` +
      `pg_restore ${newer.major}, or provide a ${wanted} client.`,
    { title: `pg_dump ${newer.major} used for a PostgreSQL ${wanted} server` },
  );
  return newer;
}

/** One installer run: what each layer has is looked up once and remembered, with why a major was not found. */
class ClientSearch {
  private runnerClients?: Promise<PgClient[]>;
  private cachedClients?: Promise<PgClient[]>;
  private platformPromise?: Promise<Platform>;
  private layer?: RepositoryLayer;
  private readonly misses = new Map<number, string[]>();

  constructor(private readonly options: InstallerOptions) {}

  reasons(major: number): string {
    return (this.misses.get(major) ?? []).join('; ');
  }

  async find(major: number): Promise<PgClient | undefined> {
    const onRunner = (await this.runner()).find((client) => client.major === major);
    if (onRunner) return this.found(onRunner);
    this.miss(major, `not on the runner`);

    let platform: Platform;
    try {
      platform = await this.platform();
    } catch (error) {
      const inToolCache = (await this.toolCache()).find((client) => client.major === major);
      if (inToolCache) return this.found(inToolCache);
      this.miss(major, errorMessage(error));
      return undefined;
    }
    const repository = this.repository(platform);
    return (
      (await this.fromToolCache(major, repository)) ??
      (await this.fromActionsCache(major, platform, repository)) ??
      (await this.fromRepository(major, platform, repository))
    );
  }

  async nearestNewerMajor(major: number): Promise<number | undefined> {
    const majors = [...(await this.runner()), ...(await this.toolCache())].map((client) => client.major);
    const index = this.layer && (await this.layer.mainIndex().catch(() => undefined));
    if (index) majors.push(...clientMajorsIn(index));
    const newer = majors.filter((candidate) => candidate > major);
    return newer.length ? Math.min(...newer) : undefined;
  }

  /** The tool cache's newest build of `major`, while the repository lists no newer one. */
  private async fromToolCache(major: number, repository: RepositoryLayer): Promise<PgClient | undefined> {
    const kept = (await this.toolCache()).find((client) => client.major === major);
    if (!kept) {
      this.miss(major, 'not in the tool cache');
      return undefined;
    }
    if (await this.isNewest(kept, repository)) return this.found(kept);
    core.info(
      `The tool cache holds pg_dump ${kept.version}, and ${repository.mirror} lists a newer build: updating`,
    );
    this.miss(major, `the tool cache's pg_dump ${kept.version} is not the newest build`);
    return undefined;
  }

  /** Whether a kept client is current; when the repository cannot say, it is used with a warning naming it. */
  private async isNewest(client: PgClient, repository: RepositoryLayer): Promise<boolean> {
    try {
      return await repository.isNewest(await readClientRecord(client.binDir), client.version, client.major);
    } catch (error) {
      core.warning(
        `Could not check ${repository.mirror} for a newer PostgreSQL ${client.major} client ` +
          `(${repositoryProblem(error)}), so the kept pg_dump ${client.version} from the ${client.source} is used.`,
      );
      return true;
    }
  }

  private async fromActionsCache(
    major: number,
    platform: Platform,
    repository: RepositoryLayer,
  ): Promise<PgClient | undefined> {
    const dir = this.stagingDir(major);
    await rm(dir, { recursive: true, force: true });
    // The key names the newest build the signed index lists; when it cannot be read, any kept build will do.
    const newest = await repository.newest(major).then(
      (found) => found.packages.client.version,
      () => undefined,
    );
    const prefix = clientCacheKeyPrefix(major, platform);
    const key = newest === undefined ? undefined : `${prefix}${newest}`;
    const restored = await this.options.cacheStore.restore(dir, key ?? prefix, key ? [] : [prefix]);
    if (!restored) {
      this.miss(major, 'not in the Actions cache');
      return undefined;
    }
    const version = await probeClient(join(dir, 'bin'));
    if (version?.major !== major) {
      core.warning(
        `The Actions cache entry ${restored} holds no working PostgreSQL ${major} client; downloading instead.`,
      );
      this.miss(major, 'the Actions cache entry does not run');
      return undefined;
    }
    if (!key) {
      core.warning(
        `Could not read ${repository.mirror} to find the newest PostgreSQL ${major} client, so pg_dump ` +
          `${version.version} kept in the Actions cache (${restored}) is used.`,
      );
    }
    const binDir = await storeInToolCache(dir, version, this.options.arch);
    return this.found({ ...version, binDir, source: 'Actions cache' });
  }

  private async fromRepository(
    major: number,
    platform: Platform,
    repository: RepositoryLayer,
  ): Promise<PgClient | undefined> {
    let newest: NewestClient;
    try {
      newest = await repository.newest(major);
    } catch (error) {
      // Not offered, refused, or the repository did not answer: the caller may still fall back to a newer client.
      this.miss(
        major,
        error instanceof PackageNotInRepositoryError ? error.message : repositoryProblem(error),
      );
      return undefined;
    }
    const { index, packages } = newest;
    core.info(
      `Downloading ${packages.client.name} ${packages.client.version} and libpq5 ${packages.libpq.version} ` +
        `from ${index.mirror} (${index.suite}, ${platform.debArch}; index signed by ${(await repository.release()).signedBy})`,
    );
    const dir = this.stagingDir(major);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // A SHA-256 mismatch or a broken download throws: a tampered package is refused, never replaced by a guess.
    await installClientPackages(index, packages, major, platform, dir);
    const version = await probeClient(join(dir, 'bin'));
    if (version?.major !== major) {
      throw new Error(
        `The ${packages.client.name} package from ${index.mirror} was installed but its pg_dump does not run on ` +
          `${platform.prettyName}: a system library it needs may be missing.`,
      );
    }
    await this.options.cacheStore.save(
      dir,
      `${clientCacheKeyPrefix(major, platform)}${packages.client.version}`,
    );
    const binDir = await storeInToolCache(dir, version, this.options.arch);
    return this.found({ ...version, binDir, source: 'apt repository' });
  }

  private found(client: PgClient): PgClient {
    core.info(`Using pg_dump ${client.version} from the ${client.source}: ${client.binDir}`);
    return client;
  }

  private miss(major: number, reason: string): void {
    const reasons = this.misses.get(major) ?? [];
    reasons.push(reason);
    this.misses.set(major, reasons);
  }

  private stagingDir(major: number): string {
    return join(this.options.workDir, `postgresql-client-${major}`);
  }

  private runner(): Promise<PgClient[]> {
    this.runnerClients ??= listRunnerClients(this.options.runnerSearch);
    return this.runnerClients;
  }

  private toolCache(): Promise<PgClient[]> {
    this.cachedClients ??= listToolCacheClients(this.options.arch);
    return this.cachedClients;
  }

  private platform(): Promise<Platform> {
    this.platformPromise ??= this.options.platform();
    return this.platformPromise;
  }

  private repository(platform: Platform): RepositoryLayer {
    this.layer ??= new RepositoryLayer(this.options.mirror, this.options.trust, platform);
    return this.layer;
  }
}

/** Why the repository gave nothing: refused (and nothing installed from it), or what the download said. */
function repositoryProblem(error: unknown): string {
  if (error instanceof ReleaseVerificationError) {
    return `pg-apt-mirror: refused, nothing was installed from it: ${error.message}`;
  }
  return `pg-apt-mirror: ${errorMessage(error)}`;
}
