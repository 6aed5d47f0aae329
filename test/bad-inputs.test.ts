/**
 * The bad-input suite: each input a user can get wrong, given to the action as the runner gives it. Each must fail
 * with a message that names the input and says what to do, write and delete nothing, and leak no secret. Run it
 * alone with `npm run test:bad-inputs`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHybridIdentity } from '../src/age/index.js';
import { runAction } from './support/action-run.js';
import { type AptMirror, startAptMirror } from './support/apt-mirror.js';
import { createTestBucket, type TestBucket } from './support/bucket.js';
import { HttpRecorder } from './support/http-recorder.js';
import { seedDataset } from './support/dataset.js';
import { closedLoopbackPort } from './support/network.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import { expectNoSecrets } from './support/secrets.js';
import { prepareTestRunner, type TestRunner } from './support/test-runner.js';

const execFileAsync = promisify(execFile);
const SLACK_URL = 'https://hooks.slack.com/services/T0BAD/B0BAD/slackSecret0123456789';
const PASSPHRASE = 'a passphrase that must never leak';
const HEARTBEAT_TOKEN = '0b7d3c5e-heartbeat-must-never-leak';
const WEBHOOK_TOKEN = 'webhookTokenThatMustNeverLeak0123';

type BadInput = [string, () => Record<string, string> | Promise<Record<string, string>>, RegExp];

describe('bad-input suite', () => {
  let server: TestPostgres;
  let mirror: AptMirror;
  let bucket: TestBucket;
  let runner: TestRunner;
  let runnerEnv: Record<string, string>;
  let identity: string;
  let recipient: string;
  // Runs that fail after their inputs ping the heartbeat: a service on loopback that answers at once.
  const monitor = new HttpRecorder();
  const heartbeatUrl = () => monitor.url(`/ping/${HEARTBEAT_TOKEN}`);
  const webhookUrl = () => monitor.url(`/hooks/${WEBHOOK_TOKEN}`);

  beforeAll(async () => {
    runner = await prepareTestRunner('bad-inputs');
    [server, mirror, bucket] = await Promise.all([
      startPostgres(17),
      startAptMirror(),
      createTestBucket(),
      monitor.start(),
    ]);
    runnerEnv = { ...runner.env };
    identity = runner.identity;
    recipient = runner.recipient;
    await seedDataset(server);
    // One good backup, so restore-side inputs have something to refuse, and deletes would show.
    const good = await runAction(
      {
        'database-url': server.url(),
        'age-recipients': recipient,
        ...mirror.inputs,
        ...bucket.inputs,
      },
      runnerEnv,
    );
    expect(good.failed, good.stdout).toBe(false);
  });
  afterAll(async () => {
    await Promise.all([server.stop(), mirror.stop(), monitor.stop()]);
    await runner.cleanup();
  });

  const secretKey = () => /AGE-SECRET-KEY-1\S+/.exec(identity)![0];
  const drill = (extra: Record<string, string>) => ({
    mode: 'drill',
    'target-url': server.url({ database: 'postgres' }),
    'age-identity': identity,
    ...extra,
  });

  const badInputs: BadInput[] = [
    ['no URL at all', () => ({}), /^::error::Input 'database-url': is empty and DATABASE_URL is not set/m],
    [
      'a malformed URL',
      () => ({ 'database-url': server.url({ params: {} }).replace(`:${server.port}/`, ':port/') }),
      /^::error::Input 'database-url': has a port that is not a number/m,
    ],
    [
      'an unsupported scheme',
      () => ({ 'database-url': server.url().replace(/^postgres:/, 'mysql:') }),
      /^::error::Input 'database-url': has the scheme 'mysql:\/\/', which is not PostgreSQL/m,
    ],
    [
      'a wrong password',
      () => ({ 'database-url': server.url({ password: 'not-the-password-42' }) }),
      /^::error::database-url: password authentication failed for user "backup_admin"/m,
    ],
    [
      'an unknown database',
      () => ({ 'database-url': server.url({ database: 'missing_db' }) }),
      /^::error::database-url: the database "missing_db" does not exist/m,
    ],
    [
      'a closed port',
      async () => ({ 'database-url': server.url({ port: await closedLoopbackPort() }) }),
      /^::error::database-url: connection refused at 127\.0\.0\.1:\d+: no server listens there/m,
    ],
    [
      'a pg-version with a minor',
      () => ({ 'database-url': server.url(), 'pg-version': '16.4' }),
      /^::error::Input 'pg-version': '16\.4' is not a PostgreSQL major version \(give the major only: 16\)/m,
    ],
    [
      'an unknown pg-version',
      () => ({ 'database-url': server.url(), 'pg-version': 'latest' }),
      /^::error::Input 'pg-version': 'latest' is not a PostgreSQL major version/m,
    ],
    [
      'a pg-version older than the server',
      () => ({ 'database-url': server.url(), 'pg-version': '15' }),
      /^::error::Input 'pg-version': 15 is older than the server's major version 17/m,
    ],
    [
      'a mirror that is not http(s)',
      () => ({ 'database-url': server.url(), 'pg-apt-mirror': 'ftp://mirror.example/apt' }),
      /^::error::Input 'pg-apt-mirror': 'ftp:\/\/mirror\.example\/apt' must be an http:\/\/ or https:\/\/ URL/m,
    ],
    [
      'a list of mirrors with one that is not a URL',
      () => ({
        'database-url': server.url(),
        'pg-apt-mirror': 'https://mirror.example/apt\n  apt.example/postgresql',
      }),
      /^::error::Input 'pg-apt-mirror': 'apt\.example\/postgresql' is not a URL: give the base URL of a PostgreSQL apt repository/m,
    ],
    [
      'a pg-apt-key that is not an armored public key',
      () => ({ 'database-url': server.url(), 'pg-apt-key': 'B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8' }),
      /^::error::Input 'pg-apt-key': give the repository's signing key as an armored OpenPGP public key/m,
    ],
    [
      'a pg-apt-key that is a private key',
      () => ({
        'database-url': server.url(),
        'pg-apt-key': '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxxxx\n-----END PGP PRIVATE KEY BLOCK-----',
      }),
      /^::error::Input 'pg-apt-key': this is a private key: give the repository's public signing key/m,
    ],
    [
      'no bucket',
      () => ({ 'database-url': server.url(), bucket: '' }),
      /^::error::Input 'bucket': is required/m,
    ],
    [
      'a bucket URL instead of a name',
      () => ({ 'database-url': server.url(), bucket: 's3://my-bucket/backups' }),
      /^::error::Input 'bucket': 's3:\/\/my-bucket\/backups' is not a bucket name/m,
    ],
    [
      'an endpoint that is not a URL',
      () => ({ 'database-url': server.url(), endpoint: 'r2.example.com' }),
      /^::error::Input 'endpoint': 'r2\.example\.com' is not a URL/m,
    ],
    [
      'a truncated age recipient',
      () => ({ 'database-url': server.url(), 'age-recipients': recipient.slice(0, -3) }),
      /^::error::Input 'age-recipients': .*checksum/m,
    ],
    [
      'an age secret key where a public key belongs',
      () => ({
        'database-url': server.url(),
        'age-recipients': 'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX',
      }),
      /^::error::Input 'age-recipients': this is an age secret key \(AGE-SECRET-KEY-1…\): give its public key/m,
    ],
    [
      'post-quantum and classic age recipients mixed',
      () => ({
        'database-url': server.url(),
        'age-recipients': `${generateHybridIdentity().recipient}\n${recipient}`,
      }),
      /^::error::Input 'age-recipients': 1 of the 2 recipients are post-quantum \(age1pq1…\) and the others classic X25519 keys \(age1…\): .*age refuses to mix them/m,
    ],
    [
      'no recipient and no passphrase',
      () => ({ 'database-url': server.url(), 'age-recipients': '' }),
      /^::error::Input 'age-recipients': is empty and no passphrase is set/m,
    ],
    [
      'both recipients and a passphrase',
      () => ({ 'database-url': server.url(), passphrase: PASSPHRASE }),
      /^::error::Input 'passphrase': is set together with age-recipients/m,
    ],
    [
      'an unknown mode',
      () => ({ 'database-url': server.url(), mode: 'snapshot' }),
      /^::error::Input 'mode': 'snapshot' is not a mode: use backup, restore, drill or prune/m,
    ],
    [
      'a bad compression',
      () => ({ 'database-url': server.url(), compression: 'brotli:5' }),
      /^::error::Input 'compression': 'brotli:5' is not a valid compression/m,
    ],
    [
      'a forbidden pg-dump-args',
      () => ({ 'database-url': server.url(), 'pg-dump-args': '--file=/tmp/out.dump' }),
      /^::error::Input 'pg-dump-args': '--file=\/tmp\/out\.dump' is not allowed/m,
    ],
    [
      'a bad row-counts',
      () => ({ 'database-url': server.url(), 'row-counts': 'some' }),
      /^::error::Input 'row-counts': 'some' is not one of exact, estimate, off/m,
    ],
    [
      'an access key without its secret',
      () => ({ 'database-url': server.url(), 'secret-access-key': '' }),
      /^::error::Input 'secret-access-key': is empty while access-key-id is set/m,
    ],
    [
      'a wrong access key ID',
      () => ({ 'database-url': server.url(), 'access-key-id': 'AKIAUNKNOWNKEY000000' }),
      /^::error::Input 'access-key-id': .* does not know this access key/m,
    ],
    [
      'an unknown bucket',
      () => ({ 'database-url': server.url(), bucket: 'no-such-bucket-anywhere' }),
      /^::error::Input 'bucket': the bucket 'no-such-bucket-anywhere' does not exist/m,
    ],
    [
      'a wrong secret access key',
      () => ({
        'database-url': server.url(),
        'secret-access-key': 'wrongSecretAccessKey0123456789abcdefghij',
      }),
      /^::error::Input 'secret-access-key': .* refused the request signature/m,
    ],
    [
      'an endpoint nothing answers at',
      async () => ({
        'database-url': server.url(),
        endpoint: `http://127.0.0.1:${await closedLoopbackPort()}`,
      }),
      /^::error::Input 'endpoint': could not reach the endpoint/m,
    ],
    [
      'a force-path-style that is not a boolean',
      () => ({ 'database-url': server.url(), 'force-path-style': 'yes' }),
      /^::error::Input 'force-path-style': 'yes' is not a boolean/m,
    ],
    [
      'a part count above S3’s limit',
      () => ({ 'database-url': server.url(), 'max-parts': '20000' }),
      /^::error::Input 'max-parts': '20000' is not a part count: give the most parts your store allows in one multipart upload, a whole number from 1 to 10000 /m,
    ],
    [
      'a part count that is not a whole number',
      () => ({ 'database-url': server.url(), 'max-parts': '1e3' }),
      /^::error::Input 'max-parts': '1e3' is not a part count/m,
    ],
    [
      'a storage class S3 does not know',
      () => ({ 'database-url': server.url(), 'storage-class': 'COLD' }),
      /^::error::Input 'storage-class': 'COLD' is not an S3 storage class: use one of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, REDUCED_REDUNDANCY/m,
    ],
    [
      'an archive storage class a drill cannot read',
      () => ({ 'database-url': server.url(), 'storage-class': 'deep_archive' }),
      /^::error::Input 'storage-class': DEEP_ARCHIVE is an archive class: its objects cannot be read until a RestoreObject request/m,
    ],
    [
      'a storage class the store does not offer',
      () => ({ 'database-url': server.url(), 'storage-class': 'ONEZONE_IA' }),
      /^::error::Input 'storage-class': the endpoint \S+ refuses the storage class ONEZONE_IA \(InvalidArgument, HTTP 400\)/m,
    ],
    [
      'object-lock-days of 0',
      () => ({ 'database-url': server.url(), 'object-lock-days': '0' }),
      /^::error::Input 'object-lock-days': '0' is not a number of days: give how many days each backup stays undeletable, a whole number from 1 to 36500/m,
    ],
    [
      'object-lock-days past a hundred years',
      () => ({ 'database-url': server.url(), 'object-lock-days': '36501' }),
      /^::error::Input 'object-lock-days': '36501' is not a number of days/m,
    ],
    [
      'object-lock-days in another unit',
      () => ({ 'database-url': server.url(), 'object-lock-days': '7d' }),
      /^::error::Input 'object-lock-days': '7d' is not a number of days/m,
    ],
    [
      'an unknown object-lock-mode',
      () => ({ 'database-url': server.url(), 'object-lock-days': '7', 'object-lock-mode': 'legal-hold' }),
      /^::error::Input 'object-lock-mode': 'legal-hold' is not one of governance, compliance/m,
    ],
    [
      'object-lock-mode without object-lock-days',
      () => ({ 'database-url': server.url(), 'object-lock-mode': 'COMPLIANCE' }),
      /^::error::Input 'object-lock-mode': is COMPLIANCE while object-lock-days is empty/m,
    ],
    [
      'object-lock-days on a bucket without Object Lock',
      () => ({ 'database-url': server.url(), 'object-lock-days': '7' }),
      /^::error::Input 'object-lock-days': the bucket '[^']+' at the endpoint \S+ does not have S3 Object Lock enabled \(ObjectLockConfigurationNotFoundError\), so no backup in it can be locked; nothing was written\./m,
    ],
    [
      'an age public key where the secret key belongs',
      () => drill({ 'age-identity': recipient }),
      /^::error::Input 'age-identity': .*public key/m,
    ],
    [
      'an age identity that opens nothing here',
      async () => drill({ 'age-identity': (await execFileAsync('age-keygen')).stdout }),
      /^::error::Input 'age-identity': does not open this backup/m,
    ],
    [
      'a post-quantum age identity for a backup made to a classic key',
      () => drill({ 'age-identity': generateHybridIdentity().identity }),
      /^::error::Input 'age-identity': does not open this backup: it is encrypted to age1[a-z0-9]{58}, and the given key's public key is age1pq1[a-z0-9]{17}…[a-z0-9]{12}\./m,
    ],
    [
      'a max-backup-age that is not a duration',
      () => drill({ 'max-backup-age': '26 hours' }),
      /^::error::Input 'max-backup-age': '26 hours' is not a duration/m,
    ],
    [
      'a max-restore-time that is not a duration',
      () => drill({ 'max-restore-time': 'soon' }),
      /^::error::Input 'max-restore-time': 'soon' is not a duration/m,
    ],
    [
      'a backup key that does not exist',
      () => drill({ backup: 'postgres/app/2020-01-01T00-00-00Z.dump.age' }),
      /^::error::Input 'backup': no backup 'postgres\/app\/2020-01-01T00-00-00Z\.dump\.age'/m,
    ],
    [
      'a backup that is not a backup key',
      () => drill({ backup: 'dump.tar.gz' }),
      /^::error::Input 'backup': 'dump\.tar\.gz' is neither latest nor a backup key/m,
    ],
    [
      'a drill without a target',
      () => drill({ 'target-url': '' }),
      /^::error::Input 'target-url': is empty/m,
    ],
    [
      'a migrate-command outside a drill',
      () => ({ ...drill({}), mode: 'restore', 'migrate-command': 'true' }),
      /^::error::Input 'migrate-command': runs in mode: drill only/m,
    ],
    [
      'a keep-daily of 0',
      () => ({ 'database-url': server.url(), 'keep-daily': '0' }),
      /^::error::Input 'keep-daily': '0' is not a number of backups to keep/m,
    ],
    [
      'a negative keep-weekly',
      () => ({ 'database-url': server.url(), 'keep-weekly': '-1' }),
      /^::error::Input 'keep-weekly': '-1' is not a number of backups to keep/m,
    ],
    [
      'a fractional keep-monthly',
      () => ({ 'database-url': server.url(), 'keep-monthly': '1.5' }),
      /^::error::Input 'keep-monthly': '1\.5' is not a number of backups to keep/m,
    ],
    [
      'a keep-hourly that is not a number',
      () => ({ 'database-url': server.url(), 'keep-hourly': 'abc' }),
      /^::error::Input 'keep-hourly': 'abc' is not a number of backups to keep/m,
    ],
    [
      'a keep-yearly of 0',
      () => ({ 'database-url': server.url(), 'keep-yearly': '0' }),
      /^::error::Input 'keep-yearly': '0' is not a number of backups to keep/m,
    ],
    [
      "a keep-within in restic's years",
      () => ({ 'database-url': server.url(), 'keep-within': '1y' }),
      /^::error::Input 'keep-within': '1y' is not a duration: write it like 26h, 90m, 1h30m, 2d or 1w/m,
    ],
    [
      'a prune without any rule',
      () => ({ mode: 'prune' }),
      /^::error::Input 'keep-last': and keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly, keep-within are all empty/m,
    ],
    [
      'an unknown notify',
      () => ({ 'database-url': server.url(), notify: 'sometimes' }),
      /^::error::Input 'notify': 'sometimes' is not one of failure, always, never/m,
    ],
    [
      'a Slack webhook that is not a URL',
      () => ({ 'database-url': server.url(), 'slack-webhook-url': 'hooks.slack.com/services/x' }),
      /^::error::Input 'slack-webhook-url': is not a URL/m,
    ],
    [
      'a heartbeat URL that is not one',
      () => ({ 'database-url': server.url(), 'heartbeat-url': `hc-ping.com/${HEARTBEAT_TOKEN}` }),
      /^::error::Input 'heartbeat-url': is not an http:\/\/ or https:\/\/ URL: give the ping URL your monitoring service shows/m,
    ],
    [
      'an unknown heartbeat-method',
      () => ({ 'database-url': server.url(), 'heartbeat-method': 'pingdom' }),
      /^::error::Input 'heartbeat-method': 'pingdom' is not one of healthchecks, better-stack, cronitor/m,
    ],
    [
      'a webhook URL that is not http(s)',
      () => ({ 'database-url': server.url(), 'webhook-url': `ftp://hooks.example.com/${WEBHOOK_TOKEN}` }),
      /^::error::Input 'webhook-url': is not an http:\/\/ or https:\/\/ URL: give the URL that receives the JSON document/m,
    ],
    [
      'an unknown pg-version for the server',
      () => ({ 'database-url': server.url(), 'pg-version': '99' }),
      /^::error::Input 'pg-version': no PostgreSQL 99 client could be installed/m,
    ],
    [
      'a database the server does not have in databases',
      () => ({ 'database-url': server.url(), databases: 'app, shop_typo' }),
      /^::error::Input 'databases': names 'shop_typo', which the server does not have \(it has app, postgres\)/m,
    ],
    [
      'databases with several database-url lines',
      () => ({
        'database-url': `${server.url()}\n${server.url({ database: 'postgres' })}`,
        databases: 'app',
      }),
      /^::error::Input 'databases': names databases on the server of one database-url, but database-url has 2 lines/m,
    ],
    [
      'exclude-databases without databases: all',
      () => ({ 'database-url': server.url(), 'exclude-databases': 'postgres' }),
      /^::error::Input 'exclude-databases': applies to databases: all only/m,
    ],
    [
      'exclude-databases that leaves nothing',
      () => ({ 'database-url': server.url(), databases: 'all', 'exclude-databases': 'app, postgres' }),
      /^::error::Input 'exclude-databases': leaves no database to back up/m,
    ],
    [
      'one database on two database-url lines',
      () => ({ 'database-url': `${server.url()}\n${server.url({ host: 'localhost' })}` }),
      /^::error::Input 'database-url': names the database 'app' on two lines/m,
    ],
    [
      'a restore of several databases',
      () => ({ ...drill({ database: 'all' }), mode: 'restore' }),
      /^::error::Input 'database': names several databases \(all\): a restore writes one backup into target-url/m,
    ],
    [
      'a drill of several databases with a backup key',
      () => drill({ database: 'app, crm', backup: 'postgres/app/2026-01-01T00-00-00Z.dump.age' }),
      /^::error::Input 'backup': is a backup key while database names several databases \(app, crm\)/m,
    ],
  ];

  it('tries at least 25 bad inputs', () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(25);
    console.log(`bad inputs tried: ${badInputs.length}`);
  });

  it.each(badInputs)(
    'refuses %s: names the input, writes and deletes nothing, leaks nothing',
    async (_name, inputs, expected) => {
      const keysBefore = await bucket.keys();
      const result = await runAction(
        {
          ...mirror.inputs,
          'age-recipients': recipient,
          'slack-webhook-url': SLACK_URL,
          'heartbeat-url': heartbeatUrl(),
          'webhook-url': webhookUrl(),
          notify: 'never',
          ...bucket.inputs,
          ...(await inputs()),
        },
        runnerEnv,
      );
      expect(result.failed).toBe(true);
      expect(result.stdout).toMatch(expected);
      expect(await bucket.keys()).toEqual(keysBefore);
      expect(await bucket.pendingUploads()).toEqual([]);
      expectNoSecrets(result, [
        server.password,
        'not-the-password-42',
        bucket.secretAccessKey,
        secretKey(),
        PASSPHRASE,
        SLACK_URL,
        heartbeatUrl(),
        HEARTBEAT_TOKEN,
        webhookUrl(),
        WEBHOOK_TOKEN,
      ]);
      expect(monitor.requests.filter(({ url }) => url.startsWith('/hooks/'))).toEqual([]);
    },
  );
});
