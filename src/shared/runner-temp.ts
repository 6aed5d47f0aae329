import { tmpdir } from 'node:os';

/** The runner's temporary folder (`RUNNER_TEMP`, emptied after each job), or the system's outside a runner. */
export function runnerTemp(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP || tmpdir();
}
