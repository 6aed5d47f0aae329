import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { Input } from '../shared/constants.js';
import { errorMessage, InputError } from '../shared/errors.js';
import { type ClientCacheStore, clientCacheKeyPrefix } from './actions-cache-store.js';
import { comparePointReleases, type PgClient, probeClient } from './pg-client.js';
import type { Platform } from './platform.js';
import { listRunnerClients, type RunnerSearch } from './runner-clients.js';
import type { RepositoryTrust } from './repository-layer.js';
import { RepositorySources } from './repository-sources.js';
import { ensureSharedLibraries, extractedClient } from './shared-libraries.js';
import { listToolCacheClients, storeInToolCache } from './tool-cache-clients.js';

/** `auto`, or an explicit client major. */
export type RequestedVersion = 'auto' | number;

export interface InstallerOptions {
  /** Base URLs of PostgreSQL apt repositories (`pg-apt-mirror`), tried in order. */
  readonly mirrors: readonly string[];
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
 * major with a warning. Never an older one: pg_dump refuses to dump a newer server. `minimumVersion` (the
 * server's own point release, or the pg_dump that made a backup) passes over a runner's client that is older:
 * the layers below it are checked against the repository's newest build, the runner's is not.
 */
export async function provideClient(
  serverMajor: number,
  requested: RequestedVersion,
  options: InstallerOptions,
  minimumVersion?: string,
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
  const search = new ClientSearch(options, minimumVersion);
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
  private sources?: RepositorySources;
  /** Kept clients passed over for a newer build, used when the newer one cannot be had. */
  private readonly stale = new Map<number, PgClient>();
  /** Majors whose newest build a repository named, so the Actions cache was asked for exactly that build. */
  private readonly newestKnown = new Set<number>();
  private readonly misses = new Map<number, string[]>();

  constructor(
    private readonly options: InstallerOptions,
    /** No runner client older than this is taken while a newer one can be had. */
    private readonly minimumVersion?: string,
  ) {}

  reasons(major: number): string {
    return [...(this.misses.get(major) ?? []), ...(this.sources?.reasons(major) ?? [])].join('; ');
  }

  async find(major: number): Promise<PgClient | undefined> {
    const onRunner = (await this.runner()).find((client) => client.major === major);
    if (onRunner && !this.olderThanMinimum(onRunner)) return this.found(onRunner);
    if (onRunner) {
      // An older point release does not know what a newer server added to its catalogs, and copies it into the
      // dump as SQL no older server accepts (pg_dump 15.18 writes 15.20's internal pg_attver column options).
      core.info(
        `The runner's pg_dump ${onRunner.version} is older than ${this.minimumVersion}, so a newer build is ` +
          'looked for first',
      );
      this.stale.set(major, onRunner);
      this.miss(major, `the runner's pg_dump ${onRunner.version} is older than ${this.minimumVersion}`);
    } else {
      this.miss(major, `not on the runner`);
    }

    let platform: Platform;
    try {
      platform = await this.platform();
    } catch (error) {
      const inToolCache = (await this.toolCache()).find((client) => client.major === major);
      if (inToolCache) return this.found(inToolCache);
      this.miss(major, errorMessage(error));
      return this.fromStale(major, undefined);
    }
    const sources = this.repositories(platform);
    return (
      (await this.fromToolCache(major, sources)) ??
      (await this.fromActionsCache(major, platform, sources)) ??
      (await this.fromRepository(major, platform, sources)) ??
      (await this.fromStale(major, platform))
    );
  }

  async nearestNewerMajor(major: number): Promise<number | undefined> {
    const majors = [...(await this.runner()), ...(await this.toolCache())].map((client) => client.major);
    if (this.sources) majors.push(...(await this.sources.majors()));
    const newer = majors.filter((candidate) => candidate > major);
    return newer.length ? Math.min(...newer) : undefined;
  }

  /** The tool cache's newest build of `major`, while the repository lists no newer one. */
  private async fromToolCache(major: number, sources: RepositorySources): Promise<PgClient | undefined> {
    const kept = (await this.toolCache()).find((client) => client.major === major);
    if (!kept) {
      this.miss(major, 'not in the tool cache');
      return undefined;
    }
    if (await sources.isNewest(kept)) return this.found(kept);
    core.info(
      `The tool cache holds pg_dump ${kept.version}, and ${sources.description} lists a newer build: updating`,
    );
    this.stale.set(major, kept);
    this.miss(major, `the tool cache's pg_dump ${kept.version} is not the newest build`);
    return undefined;
  }

  private async fromActionsCache(
    major: number,
    platform: Platform,
    sources: RepositorySources,
  ): Promise<PgClient | undefined> {
    // The key names the newest build the signed index lists; when it cannot be read, any kept build will do.
    const newest = (await sources.newest(major))?.packages.client.version;
    const prefix = clientCacheKeyPrefix(major, platform);
    const key = newest === undefined ? undefined : `${prefix}${newest}`;
    if (key) this.newestKnown.add(major);
    const client = await this.restoreFromActionsCache(major, platform, key ?? prefix, key ? [] : [prefix]);
    if (client && !key) {
      core.warning(
        `Could not read ${sources.description} to find the newest PostgreSQL ${major} client, so pg_dump ` +
          `${client.version} kept in the Actions cache is used.`,
      );
    }
    return client && this.found(client);
  }

  private async restoreFromActionsCache(
    major: number,
    platform: Platform,
    key: string,
    restoreKeys: string[],
  ): Promise<PgClient | undefined> {
    const dir = this.stagingDir(major);
    await rm(dir, { recursive: true, force: true });
    const restored = await this.options.cacheStore.restore(dir, key, restoreKeys);
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
    const binDir = await storeInToolCache(dir, version, this.options.arch);
    return { ...version, binDir, source: 'Actions cache' };
  }

  private async fromRepository(
    major: number,
    platform: Platform,
    sources: RepositorySources,
  ): Promise<PgClient | undefined> {
    const dir = this.stagingDir(major);
    const installed = await sources.install(major, platform, dir);
    if (!installed) return undefined;
    const { index, packages } = installed;
    // libldap and libgssapi are in libpq5's Depends only, the rest in the client's.
    await ensureSharedLibraries(extractedClient(dir, major, platform.multiarch), [
      packages.client.depends,
      packages.libpq.depends,
    ]);
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

  /**
   * A newer build was listed but no repository delivered it: an older kept build (tool cache, else any in the
   * Actions cache) is better than none, with a warning that names it.
   */
  private async fromStale(major: number, platform: Platform | undefined): Promise<PgClient | undefined> {
    const prefix = platform && clientCacheKeyPrefix(major, platform);
    const kept =
      this.stale.get(major) ??
      (platform && prefix && this.newestKnown.has(major)
        ? await this.restoreFromActionsCache(major, platform, prefix, [prefix])
        : undefined);
    if (!kept) return undefined;
    core.warning(
      `No repository delivered the newest PostgreSQL ${major} client (${this.reasons(major)}), so the kept ` +
        `pg_dump ${kept.version} from the ${kept.source} is used. It may lack the latest point release's fixes` +
        (this.olderThanMinimum(kept)
          ? `, and being older than ${this.minimumVersion} it can write SQL that older servers reject at restore.`
          : '.'),
      { title: `Kept pg_dump ${kept.version} used` },
    );
    return this.found(kept);
  }

  private olderThanMinimum(client: PgClient): boolean {
    return this.minimumVersion !== undefined && comparePointReleases(client.version, this.minimumVersion) < 0;
  }

  private found(client: PgClient): PgClient {
    core.info(`Using pg_dump ${client.version} from the ${client.source}: ${client.binDir}`);
    return client;
  }

  private miss(major: number, reason: string): void {
    const reasons = this.misses.get(major) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
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

  private repositories(platform: Platform): RepositorySources {
    this.sources ??= new RepositorySources(this.options.mirrors, this.options.trust, platform);
    return this.sources;
  }
}
