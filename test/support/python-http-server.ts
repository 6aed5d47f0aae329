/**
 * Python's own `http.server`, the file server people put in front of a self-hosted apt mirror or registry. It
 * answers `HTTP/1.0` and closes the connection after every answer, which the HTTP client the bundle carried
 * could not take on Node 20: with two downloads at once it ended the process with an uncaught assertion.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cleanUpOnExit } from './cleanup-on-exit.js';

export interface PythonHttpServer {
  readonly url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const live = new Set<ChildProcess>();
cleanUpOnExit(() => {
  for (const child of live) child.kill('SIGKILL');
});

/** Serves `root` on 127.0.0.1, on a port the server picks. */
export async function startPythonHttpServer(root: string): Promise<PythonHttpServer> {
  const child = spawn(
    'python3',
    ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  child.stderr.resume();
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => {
        reject(new Error(`python3 -m http.server did not start: ${text}`));
      }, START_TIMEOUT_MS);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        text += chunk;
        const port = /port (\d+)/.exec(text)?.[1];
        if (port) {
          clearTimeout(timer);
          child.stdout.resume();
          resolve(`http://127.0.0.1:${port}`);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`python3 -m http.server exited with ${String(code)}: ${text}`));
      });
    });
    return { url, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  live.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
