import * as core from '@actions/core';
import { errorMessage } from '../shared/errors.js';
import type { Platform } from './platform.js';

/** Bump when the layout of a cached client folder changes, so old entries are not restored. */
const LAYOUT_VERSION = 'v3';

/** The Actions cache as the installer uses it: best effort, a failure is a warning and a miss. */
export interface ClientCacheStore {
  /** Restores `key`, or the newest entry starting with one of `restoreKeys`; resolves to the key restored. */
  restore(dir: string, key: string, restoreKeys: readonly string[]): Promise<string | undefined>;
  save(dir: string, key: string): Promise<void>;
}

/**
 * The start of the Actions-cache key of a client: the package version follows, so a new point release is a new
 * key (and a miss) rather than a stale hit.
 */
export function clientCacheKeyPrefix(major: number, platform: Platform): string {
  return `postgresql-client-${major}-${platform.distro}-${platform.codename}-${platform.debArch}-${LAYOUT_VERSION}-`;
}

/**
 * `@actions/cache` (with the Azure storage SDK behind it) is a quarter of the bundle; it is loaded only when the
 * installer reaches this layer, so a run that finds its client on the runner or in the tool cache starts faster.
 */
function loadCache(): Promise<typeof import('@actions/cache')> {
  return import('@actions/cache');
}

export const actionsCacheStore: ClientCacheStore = {
  async restore(dir, key, restoreKeys) {
    const cache = await loadCache();
    if (!cache.isFeatureAvailable()) {
      core.warning('The Actions cache service is not available to this run; the client will be downloaded.');
      return undefined;
    }
    try {
      return await cache.restoreCache([dir], key, [...restoreKeys]);
    } catch (error) {
      core.warning(
        `Restoring the client from the Actions cache failed, downloading instead: ${errorMessage(error)}`,
      );
      return undefined;
    }
  },
  async save(dir, key) {
    const cache = await loadCache();
    if (!cache.isFeatureAvailable()) return;
    try {
      await cache.saveCache([dir], key);
    } catch (error) {
      core.warning(
        `Saving the client to the Actions cache failed (the next run downloads it again): ${errorMessage(error)}`,
      );
    }
  },
};
