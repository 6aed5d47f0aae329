import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Whether a Docker engine answers (the client alone is not enough). */
export async function dockerAnswers(): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

export interface DockerServer {
  readonly url: string;
  readonly password: string;
  readonly state: { readonly kind: 'docker'; readonly container: string };
}

/** Starts `postgres:<major>` with a random password, published on 127.0.0.1 only. */
export async function startDockerServer(major: number, database: string): Promise<DockerServer> {
  const password = randomBytes(18).toString('base64url');
  const { stdout } = await execFileAsync(
    'docker',
    [
      'run',
      '-d',
      '--rm',
      '-e',
      'POSTGRES_PASSWORD',
      '-e',
      `POSTGRES_DB=${database}`,
      '-p',
      '127.0.0.1::5432',
      `postgres:${major}`,
    ],
    { env: { ...process.env, POSTGRES_PASSWORD: password }, timeout: 600_000 },
  );
  const container = stdout.trim();
  const { stdout: published } = await execFileAsync('docker', ['port', container, '5432/tcp']);
  const port = /:(\d+)\s*$/m.exec(published)?.[1];
  if (!port) throw new Error(`docker did not publish the port of container ${container}: ${published}`);
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=disable`;
  return { url, password, state: { kind: 'docker', container } };
}

export async function stopDockerServer(container: string): Promise<void> {
  await execFileAsync('docker', ['rm', '--force', '--volumes', container]).catch(() => undefined);
}
