/**
 * `npm run demo`: the main job, end to end, on this machine. It starts a real PostgreSQL 17 server with a small
 * realistic dataset and a local S3 server (s3rver), runs the bundled action (dist/index.js) exactly as the runner
 * does (INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, RUNNER_TEMP and RUNNER_TOOL_CACHE), prints
 * the outputs and the summary, proves the backup opens and lists, and stops everything.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createDecryptStream, generateIdentity, parseIdentity } from '../src/age/index.js';
import { parseOutputFile } from '../test/support/action-run.js';
import { seedToolCache } from '../test/support/client-wrappers.js';
import { seedDataset } from '../test/support/dataset.js';
import { closedLoopbackPort } from '../test/support/network.js';
import { startPostgres } from '../test/support/postgres-server.js';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '..');

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'backup-demo-'));
  const step = (text: string) => {
    console.log(`\n== ${text}`);
  };
  step('Starting PostgreSQL 17 with a small dataset, and a local S3 server');
  const server = await startPostgres(17);
  const port = await closedLoopbackPort();
  const s3rver = new S3rver({ address: '127.0.0.1', port, silent: true, directory: join(scratch, 's3') });
  await s3rver.run();
  try {
    const tables = await seedDataset(server);
    console.log(tables.map((t) => `  ${t.schema}.${t.table}: ${t.rows} rows`).join('\n'));
    const endpoint = `http://127.0.0.1:${port}`;
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: 'demo-backups' }));

    step('Preparing the runner: a tool cache holding pg_dump 17, an age key pair');
    const runner = { RUNNER_TEMP: join(scratch, 'temp'), RUNNER_TOOL_CACHE: join(scratch, 'tool-cache') };
    await mkdir(runner.RUNNER_TEMP, { recursive: true });
    await seedToolCache(runner.RUNNER_TOOL_CACHE, 17);
    const key = generateIdentity();
    console.log(`  recipient (public, goes in the workflow): ${key.recipient}`);

    step('Running dist/index.js as the runner does');
    const files = {
      GITHUB_OUTPUT: join(scratch, 'output'),
      GITHUB_STEP_SUMMARY: join(scratch, 'summary.html'),
    };
    await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
    const inputs: Record<string, string> = {
      mode: 'backup',
      'database-url': server.url(),
      bucket: 'demo-backups',
      endpoint,
      'access-key-id': credentials.accessKeyId,
      'secret-access-key': credentials.secretAccessKey,
      'age-recipients': key.recipient,
      'pg-dump-args': '--exclude-table-data=audit_log',
    };
    const env: NodeJS.ProcessEnv = { ...process.env, ...runner, ...files };
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
    const run = await execFileAsync(process.execPath, [join(repo, 'dist', 'index.js')], { env }).catch(
      (error: unknown) => error as { stdout: string; code: number },
    );
    console.log(run.stdout);
    if ('code' in run && run.code) throw new Error(`the action failed (exit code ${run.code})`);

    step('Outputs');
    const outputs = parseOutputFile(await readFile(files.GITHUB_OUTPUT, 'utf8'));
    for (const [name, value] of Object.entries(outputs)) console.log(`  ${name}: ${value}`);
    step('Job summary (HTML)');
    console.log(await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'));

    step('Restoring by hand: decrypt with the secret key, list with pg_restore');
    const object = await s3.send(new GetObjectCommand({ Bucket: 'demo-backups', Key: outputs.key }));
    const encrypted = join(scratch, 'backup.dump.age');
    await writeFile(encrypted, Buffer.from(await object.Body!.transformToByteArray()));
    const dump = join(scratch, 'backup.dump');
    const identities = parseIdentity(key.identity);
    await pipeline(createReadStream(encrypted), createDecryptStream({ identities }), createWriteStream(dump));
    const toolBin = join(runner.RUNNER_TOOL_CACHE, 'postgresql-client');
    const { stdout } = await execFileAsync('sh', [
      '-c',
      `"$(ls -d ${toolBin}/*/x64/bin | head -1)/pg_restore" --list "${dump}"`,
    ]);
    console.log(
      stdout
        .split('\n')
        .filter((line) => line.includes('TABLE DATA'))
        .join('\n'),
    );
    s3.destroy();
  } finally {
    await s3rver.close();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
  console.log('\nDemo finished; everything it started is stopped.');
}

await main();
