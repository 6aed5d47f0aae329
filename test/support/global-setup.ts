/**
 * Vitest global setup: downloads and builds the test bed once, before test files run in parallel, so they never
 * race on downloads. Everything lands in `.cache/`, so later runs find it there without the network.
 */
import { mirrorDebianPackages } from './apt-mirror.js';
import { ensureWrappedClient } from './client-wrappers.js';

export default async function setup(): Promise<void> {
  await Promise.all([mirrorDebianPackages(), ensureWrappedClient(17), ensureWrappedClient(18)]);
}
