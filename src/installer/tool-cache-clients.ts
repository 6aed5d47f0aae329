import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { CLIENT_TOOL_NAME } from '../shared/constants.js';
import { type ClientVersion, type PgClient, probeClient, toolCacheVersion } from './pg-client.js';

/** Clients in the runner's tool cache (`$RUNNER_TOOL_CACHE/postgresql-client/<x.y.0>/<arch>`) that run. */
export async function listToolCacheClients(arch: string): Promise<PgClient[]> {
  if (!process.env.RUNNER_TOOL_CACHE) return [];
  const clients: PgClient[] = [];
  for (const version of tc.findAllVersions(CLIENT_TOOL_NAME, arch)) {
    const binDir = join(tc.find(CLIENT_TOOL_NAME, version, arch), 'bin');
    const probed = await probeClient(binDir);
    if (probed) clients.push({ ...probed, binDir, source: 'tool cache' });
  }
  // Newest first, so the first client of a major is its newest build.
  return clients.sort((a, b) => minorOf(b.version) - minorOf(a.version));
}

function minorOf(version: string): number {
  return Number(/^\d+\.(\d+)/.exec(version)?.[1] ?? 0);
}

/** Copies a client folder (with `bin/`) into the tool cache and returns its `bin` there. */
export async function storeInToolCache(dir: string, version: ClientVersion, arch: string): Promise<string> {
  if (!process.env.RUNNER_TOOL_CACHE) return join(dir, 'bin');
  const cached = await tc.cacheDir(dir, CLIENT_TOOL_NAME, toolCacheVersion(version), arch);
  return join(cached, 'bin');
}
