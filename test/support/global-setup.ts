/**
 * Vitest global setup: downloads and builds the test bed once, before test files run in parallel, so they never
 * race on downloads. Everything lands in `.cache/`, so later runs find it there without the network. It also
 * installs the Debian packages the tests run (Ceph, age, psql's readline) when they are missing, and starts the one S3 server the
 * whole run shares: test files reach it with `s3FromSetup()` from `s3-inject.ts`.
 */
import type { TestProject } from 'vitest/node';

import { mirrorDebianPackages } from './apt-mirror.js';
import { ensureWrappedClient } from './client-wrappers.js';
import { packEmbeddedPostgres } from './embedded-postgres-registry.js';
import { mirrorClientLibraries } from './mirror-client-libraries.js';
import { ensureNodeRuntime, PATH_NODE_MAJORS } from './node-runtimes.js';
import { S3_SERVER_COMMANDS, startS3, type TestS3 } from './s3-server.js';
import { CLIENT_RUNTIME_LIBRARIES, ensureSystemLibraries, ensureSystemPackages } from './system-packages.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [s3] = await Promise.all([
    installPackagesAndStartS3(),
    mirrorDebianPackages(),
    ensureWrappedClient(17),
    ensureWrappedClient(18),
    packEmbeddedPostgres(17),
    ...PATH_NODE_MAJORS.map((major) => ensureNodeRuntime(major)),
  ]);
  // After the S3 server started, so only the test files' processes (and the clients they run) see it.
  const libraries = await mirrorClientLibraries();
  if (libraries) {
    console.log(`The mirror's client gets bookworm libraries this machine lacks, from ${libraries}`);
    const inherited = process.env.LD_LIBRARY_PATH;
    process.env.LD_LIBRARY_PATH = inherited ? `${libraries}:${inherited}` : libraries;
  }
  const { endpoint, region, accessKeyId, secretAccessKey } = s3;
  project.provide('s3', { endpoint, region, accessKeyId, secretAccessKey });
  project.provide('cephVersion', s3.cephVersion);
  return () => s3.stop();
}

async function installPackagesAndStartS3(): Promise<TestS3> {
  await ensureSystemPackages([
    ...S3_SERVER_COMMANDS,
    { command: 'age', pkg: 'age' },
    // Python's http.server: the HTTP/1.0 file server users put in front of a mirror (python-http-server.ts).
    { command: 'python3', pkg: 'python3' },
  ]);
  // psql's readline: a fresh Debian root lacks it, and the installer would otherwise install it mid-test.
  await ensureSystemLibraries(CLIENT_RUNTIME_LIBRARIES);
  return startS3();
}
