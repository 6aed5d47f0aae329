/**
 * A real S3 server for the tests: Ceph's radosgw (Debian's `radosgw`: Ceph 16 in Debian 12, 18 in Debian 13) in
 * front of a one-monitor, one-OSD cluster whose OSD keeps every object in memory (memstore). Everything runs in the
 * foreground as children of this process, on 127.0.0.1 only (msgr v2, cephx on), with its config, keyring, logs and
 * data in a temp dir.
 *
 * Daemons are started through `setpriv --pdeathsig SIGKILL`, so they die with this process even when it is killed
 * outright; an exit handler kills them too, and `stop()` kills them and removes the temp dir.
 */
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

import { closedLoopbackPort } from './network.js';
import type { RequiredCommand } from './system-packages.js';
import { cleanUpOnExit } from './cleanup-on-exit.js';
import { exists } from './debian-packages.js';

/** What test code needs to reach the server; plain data, so Vitest's `provide` can pass it to test files. */
export interface S3Details {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The region requests are signed for; radosgw's default zone group answers to `us-east-1`. */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface S3Helpers {
  /**
   * Creates a fresh bucket with a unique name and returns the name; with `objectLock`, S3 Object Lock is enabled on
   * it (and with it versioning), which can only be done when a bucket is created.
   */
  createBucket(prefix?: string, options?: { readonly objectLock?: boolean }): Promise<string>;
  /** Every key in a bucket, across all pages of the listing. */
  listKeys(bucket: string): Promise<string[]>;
  /** The multipart uploads started and neither completed nor aborted, across all pages. */
  listMultipartUploads(bucket: string): Promise<{ key: string; uploadId: string }[]>;
}

export interface TestS3 extends S3Details, S3Helpers {
  /** The Ceph release serving it, e.g. `18.2.7`: some S3 behaviours differ between releases. */
  readonly cephVersion: string;
  /**
   * Frees the space of deleted objects now: radosgw only queues their data for its garbage collector (after two
   * hours by default), and the in-memory OSD blocks every write once full.
   */
  collectGarbage(): Promise<void>;
  /** Kills every process it started, waits for them and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The commands `startS3` runs, with the Debian packages that provide them (for `ensureSystemPackages`). */
export const S3_SERVER_COMMANDS: readonly RequiredCommand[] = [
  { command: 'ceph-mon', pkg: 'ceph-mon' },
  { command: 'ceph-osd', pkg: 'ceph-osd' },
  { command: 'radosgw', pkg: 'radosgw' },
  { command: 'monmaptool', pkg: 'ceph-base' },
  { command: 'ceph', pkg: 'ceph-common' },
  { command: 'ceph-authtool', pkg: 'ceph-common' },
  { command: 'radosgw-admin', pkg: 'ceph-common' },
  { command: 'setpriv', pkg: 'util-linux' },
];

const HOST = '127.0.0.1';
const REGION = 'us-east-1';
const MON_ID = 'a';
const OSD_ID = '0';
const MON_NAME = `mon.${MON_ID}`;
const OSD_NAME = `osd.${OSD_ID}`;
const RGW_NAME = 'client.rgw.s3';
const S3_USER = 'tester';
const START_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 40;
/**
 * The storage classes besides STANDARD that the test bed's one placement target offers: radosgw refuses a class it
 * has no placement for (InvalidStorageClass), as a store that lacks one does, so ONEZONE_IA stays undeclared.
 */
export const TESTBED_STORAGE_CLASSES = ['STANDARD_IA'] as const;
const ZONE = 'default';
const PLACEMENT = 'default-placement';
/**
 * The Ceph majors this cluster's settings are known to suit: 16 (Debian 12), 18 (Debian 13) and 20 (Debian forky)
 * were run, and 17 and 19 lie between them, where every setting used here means the same. Another major may have
 * renamed or dropped one (memstore, a test-only object store, is the likeliest to go), so it is refused up front.
 */
const CEPH_MAJORS = { oldest: 16, newest: 20 } as const;
/** Where Debian's `ceph-base` puts the OSD's object classes: `/usr/lib/<multiarch triplet>/rados-classes`. */
const LIB_DIR = '/usr/lib';
const CLASS_DIR = 'rados-classes';
/** An object class radosgw cannot do without, to tell the real directory from a stray one. */
const RGW_CLASS = 'libcls_rgw.so';

/** A server's temp dir and daemons, for `stop()` and the exit handler. */
interface Cluster {
  readonly root: string;
  /** By Ceph name, e.g. `osd.0`. */
  readonly daemons: Map<string, ChildProcess>;
}

const live = new Set<Cluster>();

function killAll(): void {
  for (const cluster of live) {
    for (const daemon of cluster.daemons.values()) kill(daemon);
    rmSync(cluster.root, { recursive: true, force: true });
  }
}

cleanUpOnExit(killAll);

const execFileAsync = promisify(execFile);

/**
 * An S3 client for the server, with checksums only where S3 requires them: radosgw 16 refuses stream bodies sent
 * the SDK's default way (aws-chunked with a checksum trailer) with 411 MissingContentLength.
 */
export function s3Client(details: S3Details, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: details.endpoint,
    region: details.region,
    credentials: { accessKeyId: details.accessKeyId, secretAccessKey: details.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...config,
  });
}

export function s3Helpers(client: S3Client): S3Helpers {
  return {
    createBucket: async (prefix = 'test', options = {}) => {
      const bucket = `${prefix}-${randomBytes(6).toString('hex')}`;
      await client.send(
        new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: options.objectLock }),
      );
      return bucket;
    },
    listKeys: async (bucket) => {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket })) {
        for (const object of page.Contents ?? []) keys.push(object.Key!);
      }
      return keys;
    },
    listMultipartUploads: (bucket) => listMultipartUploads(client, bucket),
  };
}

async function listMultipartUploads(
  client: S3Client,
  bucket: string,
): Promise<{ key: string; uploadId: string }[]> {
  const uploads: { key: string; uploadId: string }[] = [];
  let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
  for (;;) {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, ...markers }));
    for (const upload of page.Uploads ?? []) uploads.push({ key: upload.Key!, uploadId: upload.UploadId! });
    if (page.IsTruncated !== true) return uploads;
    markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
  }
}

export async function startS3(): Promise<TestS3> {
  const cluster: Cluster = { root: await mkdtemp(join(tmpdir(), 'ceph-s3-')), daemons: new Map() };
  live.add(cluster);
  try {
    const { details, layout } = await setUp(cluster);
    const client = s3Client(details);
    const stop = memoize(async () => {
      client.destroy();
      await release(cluster);
    });
    const collectGarbage = () => runCeph(layout, 'radosgw-admin', ['gc', 'process', '--include-all']);
    return { ...details, cephVersion: layout.ceph.version, ...s3Helpers(client), collectGarbage, stop };
  } catch (error) {
    await release(cluster);
    throw error;
  }
}

/** The installed Ceph, as far as the config depends on it. */
interface Ceph {
  /** e.g. `18.2.7` */
  readonly version: string;
  readonly major: number;
  /** The absolute path of the OSD's object classes. */
  readonly classDir: string;
}

/** Where the cluster lives and listens; `env` points Ceph's tools and daemons at its config. */
interface Layout {
  readonly root: string;
  readonly ceph: Ceph;
  readonly fsid: string;
  readonly monPort: number;
  readonly rgwPort: number;
  readonly env: NodeJS.ProcessEnv;
}

async function setUp(cluster: Cluster): Promise<{ details: S3Details; layout: Layout }> {
  const { root } = cluster;
  const conf = join(root, 'ceph.conf');
  const layout: Layout = {
    root,
    ceph: await installedCeph(),
    fsid: randomUUID(),
    monPort: await closedLoopbackPort(),
    rgwPort: await closedLoopbackPort(),
    env: { ...process.env, CEPH_CONF: conf },
  };
  await writeFile(conf, cephConf(layout));
  await makeKeyring(layout);
  await makeMonitor(cluster, layout);
  await makeOsd(cluster, layout);
  const details: S3Details = {
    endpoint: `http://${HOST}:${layout.rgwPort}`,
    region: REGION,
    accessKeyId: randomBytes(10).toString('hex').toUpperCase(),
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  // Before radosgw starts, so the two never race to create the default zone and its pools.
  await runCeph(layout, 'radosgw-admin', [
    ...['user', 'create', '--uid', S3_USER, '--display-name', S3_USER],
    ...['--access-key', details.accessKeyId, '--secret-key', details.secretAccessKey],
  ]);
  await declareStorageClasses(layout);
  await startDaemon(cluster, layout, 'radosgw', RGW_NAME);
  await waitForS3(cluster, details.endpoint);
  return { details, layout };
}

/**
 * Adds each of TESTBED_STORAGE_CLASSES to the default placement target: to the zone group's list of classes, and
 * to the zone with a data pool of its own (radosgw creates the pool on first use). Without a realm, as here, the
 * default zone group and zone that `user create` made take the change directly, with no period to commit; radosgw
 * reads them when it starts.
 */
async function declareStorageClasses(layout: Layout): Promise<void> {
  for (const storageClass of TESTBED_STORAGE_CLASSES) {
    const placement = ['--placement-id', PLACEMENT, '--storage-class', storageClass];
    await runCeph(layout, 'radosgw-admin', [
      ...['zonegroup', 'placement', 'add', '--rgw-zonegroup', ZONE, ...placement],
    ]);
    await runCeph(layout, 'radosgw-admin', [
      ...['zone', 'placement', 'add', '--rgw-zone', ZONE, ...placement],
      ...['--data-pool', `${ZONE}.rgw.${storageClass.toLowerCase()}.data`],
    ]);
  }
}

/** The installed Ceph's version and object class directory; throws for a major outside `CEPH_MAJORS`. */
async function installedCeph(): Promise<Ceph> {
  const { stdout } = await execFileAsync('ceph-osd', ['--version'], { timeout: COMMAND_TIMEOUT_MS });
  const match = /^ceph version ((\d+)\.\d+\.\d+)/m.exec(stdout);
  if (!match) throw new Error(`could not read Ceph's version from \`ceph-osd --version\`: ${stdout.trim()}`);
  const version = match[1]!;
  const major = Number(match[2]);
  if (major < CEPH_MAJORS.oldest || major > CEPH_MAJORS.newest) {
    throw new Error(
      `Ceph ${version} is installed, but the S3 test bed supports Ceph majors ${CEPH_MAJORS.oldest} to ` +
        `${CEPH_MAJORS.newest} only`,
    );
  }
  return { version, major, classDir: await objectClassDir(version) };
}

/**
 * The directory of the OSD's object classes, found on disk rather than taken from Ceph: Debian 13's Ceph 18 was
 * built with a relative default (`lib/<triplet>/rados-classes`), which the OSD resolves against its working
 * directory, so it loads no class and radosgw's first call to one fails.
 */
async function objectClassDir(version: string): Promise<string> {
  const entries = await readdir(LIB_DIR, { withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(LIB_DIR, entry.name, CLASS_DIR);
    if (await exists(join(dir, RGW_CLASS))) return dir;
  }
  throw new Error(
    `Ceph ${version}: no ${RGW_CLASS} in ${LIB_DIR}/*/${CLASS_DIR}; the OSD's object classes come with ceph-base`,
  );
}

function cephConf({ root, ceph, fsid, monPort, rgwPort }: Layout): string {
  const settings = {
    fsid,
    'mon host': monAddress(monPort),
    'public addr': HOST,
    'cluster addr': HOST,
    'ms bind msgr1': 'false',
    'ms bind ipv6': 'false',
    'auth cluster required': 'cephx',
    'auth service required': 'cephx',
    'auth client required': 'cephx',
    keyring: join(root, 'keyring'),
    'run dir': root,
    'admin socket': join(root, '$name.asok'),
    'log file': join(root, '$name.log'),
    'mon data': join(root, '$name'),
    'osd data': join(root, '$name'),
    // The monitor would shut down when the disk holding its store is nearly full; a throwaway one need not.
    'mon data avail crit': '0',
    // Without it, every pool creation waits on Paxos for a second or more: startup took 12 s instead of 1 s.
    'paxos propose interval': '0.01',
    'osd objectstore': 'memstore',
    // The capacity the OSD reports; memory is only used for what is stored.
    'memstore device bytes': String(4 * 1024 ** 3),
    'mon allow pool size one': 'true',
    'osd pool default size': '1',
    'osd pool default min size': '1',
    // Ceph 16 gives a new pool pg num placement groups; later releases give it one while autoscaling is on (their
    // default), and pgp num above pg num fails radosgw's pool creation with ERANGE. No manager runs here to scale
    // pools anyway, so autoscaling off keeps every release at pg num.
    'osd pool default pg autoscale mode': 'off',
    'osd pool default pg num': '8',
    'osd pool default pgp num': '8',
    'osd class dir': ceph.classDir,
    'osd crush chooseleaf type': '0',
  };
  const lines = (entries: Record<string, string>) =>
    Object.entries(entries).map(([name, value]) => `${name} = ${value}`);
  return [
    '[global]',
    ...lines(settings),
    `[${RGW_NAME}]`,
    ...lines({ 'rgw frontends': `beast endpoint=${HOST}:${rgwPort}` }),
    '',
  ].join('\n');
}

function monAddress(port: number): string {
  return `v2:${HOST}:${port}`;
}

/** One keyring for every daemon and tool, holding each one's key and capabilities. */
async function makeKeyring(layout: Layout): Promise<void> {
  const entities: Record<string, Record<string, string>> = {
    'mon.': { mon: 'allow *' },
    'client.admin': { mon: 'allow *', osd: 'allow *', mgr: 'allow *' },
    [OSD_NAME]: { mon: 'allow profile osd', osd: 'allow *' },
    [RGW_NAME]: { mon: 'allow rw', osd: 'allow rwx' },
  };
  const keyring = join(layout.root, 'keyring');
  for (const [index, [name, caps]] of Object.entries(entities).entries()) {
    const create = index === 0 ? ['--create-keyring'] : [];
    const capArgs = Object.entries(caps).flatMap(([service, cap]) => ['--cap', service, cap]);
    await runCeph(layout, 'ceph-authtool', [keyring, ...create, '--gen-key', '-n', name, ...capArgs]);
  }
}

async function makeMonitor(cluster: Cluster, layout: Layout): Promise<void> {
  const monmap = join(layout.root, 'monmap');
  await runCeph(layout, 'monmaptool', [
    ...['--create', '--addv', MON_ID, `[${monAddress(layout.monPort)}]`, '--fsid', layout.fsid, monmap],
  ]);
  await runCeph(layout, 'ceph-mon', ['--mkfs', '-i', MON_ID, '--monmap', monmap]);
  await startDaemon(cluster, layout, 'ceph-mon', MON_NAME);
}

async function makeOsd(cluster: Cluster, layout: Layout): Promise<void> {
  const uuid = randomUUID();
  await runCeph(layout, 'ceph', ['--connect-timeout', '30', 'osd', 'new', uuid, OSD_ID]);
  await mkdir(join(layout.root, OSD_NAME));
  await runCeph(layout, 'ceph-osd', ['--mkfs', '-i', OSD_ID, '--osd-uuid', uuid]);
  await startDaemon(cluster, layout, 'ceph-osd', OSD_NAME);
}

/** Runs a Ceph tool to completion; on failure the error carries its output. */
async function runCeph(layout: Layout, command: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { env: layout.env, timeout: COMMAND_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

/** Starts a daemon in the foreground, its output in `<root>/<name>.out`; it dies with this process. */
async function startDaemon(cluster: Cluster, layout: Layout, command: string, name: string): Promise<void> {
  const output = await open(join(layout.root, `${name}.out`), 'w');
  try {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', command, '-f', '-n', name], {
      env: layout.env,
      stdio: ['ignore', output.fd, output.fd],
    });
    await once(child, 'spawn');
    cluster.daemons.set(name, child);
    // A server nobody stopped must not keep this process alive; the exit handler kills it.
    child.unref();
  } finally {
    await output.close();
  }
}

/** Waits until radosgw answers HTTP, failing early when a daemon exits. */
async function waitForS3(cluster: Cluster, endpoint: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const exited = [...cluster.daemons].find(([, daemon]) => hasExited(daemon));
    if (exited)
      throw new Error(`${exited[0]} exited during startup:\n${await daemonLogs(cluster, exited[0])}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      await delay(50);
    }
  }
  throw new Error(
    `radosgw did not answer within ${START_TIMEOUT_MS} ms:\n${await daemonLogs(cluster, RGW_NAME)}`,
  );
}

/** A daemon's output and the end of its log, for error messages. */
async function daemonLogs(cluster: Cluster, name: string): Promise<string> {
  const read = (file: string) => readFile(join(cluster.root, file), 'utf8').catch(() => '');
  const log = (await read(`${name}.log`)).split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return `${await read(`${name}.out`)}\n--- ${name}.log (end) ---\n${log}`;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function kill(child: ChildProcess): void {
  if (!hasExited(child)) child.kill('SIGKILL');
}

/** SIGKILL for all: the data is thrown away, and an OSD whose monitor is gone ignores SIGTERM. */
async function release(cluster: Cluster): Promise<void> {
  await Promise.all(
    [...cluster.daemons.values()].map(async (daemon) => {
      if (hasExited(daemon)) return;
      daemon.ref();
      const exited = once(daemon, 'exit');
      kill(daemon);
      await exited;
    }),
  );
  await rm(cluster.root, { recursive: true, force: true });
  live.delete(cluster);
}

function memoize<T>(action: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= action());
}
