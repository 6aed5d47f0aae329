import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ClientMajor, seedToolCache } from './client-wrappers.js';

const execFileAsync = promisify(execFile);

/** A runner as the action sees it, for one test file: its folders, a tool cache, and an age key pair. */
export interface TestRunner {
  readonly scratch: string;
  /** RUNNER_TOOL_CACHE (holding the wrapped clients asked for) and RUNNER_TEMP. */
  readonly env: Record<string, string>;
  readonly identityFile: string;
  /** The key file's text (`# created…`, `# public key…`, `AGE-SECRET-KEY-1…`), as the age-identity input gets it. */
  readonly identity: string;
  readonly recipient: string;
  cleanup(): Promise<void>;
}

export async function prepareTestRunner(
  name: string,
  clients: readonly ClientMajor[] = [17],
): Promise<TestRunner> {
  const scratch = await mkdtemp(join(tmpdir(), `${name}-`));
  // Runner folders are world-readable; as root, a throwaway server runs as nobody, who must reach them.
  await chmod(scratch, 0o755);
  const env = { RUNNER_TOOL_CACHE: join(scratch, 'tool-cache'), RUNNER_TEMP: join(scratch, 'temp') };
  for (const major of clients) await seedToolCache(env.RUNNER_TOOL_CACHE, major);
  const identityFile = join(scratch, 'key.txt');
  await execFileAsync('age-keygen', ['-o', identityFile]);
  return {
    scratch,
    env,
    identityFile,
    identity: await readFile(identityFile, 'utf8'),
    recipient: (await execFileAsync('age-keygen', ['-y', identityFile])).stdout.trim(),
    cleanup: () => rm(scratch, { recursive: true, force: true }),
  };
}
