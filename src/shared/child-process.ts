import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines of its stderr (at most STDERR_TAIL bytes). */
  readonly stderr: string;
}

const STDERR_TAIL = 64 * 1024;

export interface RunningChild {
  readonly process: ChildProcessByStdio<Writable | null, Readable, Readable>;
  /** Resolves when the process has exited and its stderr is closed; never rejects. */
  readonly exit: Promise<ChildExit>;
  /** SIGTERM, then SIGKILL after a grace period; safe to call when it has already exited. */
  stop(): void;
}

/**
 * The environment of a client program that connects nowhere (`pg_restore --list`): no credentials and no input
 * variables, but where programs and their shared libraries are found, as a runner or container sets them.
 */
export function offlineToolEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (process.env.LD_LIBRARY_PATH) env.LD_LIBRARY_PATH = process.env.LD_LIBRARY_PATH;
  return env;
}

/** Starts a program with stdout piped, keeping the tail of stderr for the error message. */
export function startChild(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin: 'pipe' | 'ignore' = 'ignore',
): RunningChild {
  const child = spawn(command, args, { env, stdio: [stdin, 'pipe', 'pipe'] }) as ChildProcessByStdio<
    Writable | null,
    Readable,
    Readable
  >;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL);
  });
  const exit = new Promise<ChildExit>((resolve) => {
    child.on('error', (error) => {
      stderr += `${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      resolve({ code, signal, stderr: stderr.trim() });
    });
  });
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    process: child,
    exit,
    stop() {
      if (exited) return;
      child.kill('SIGTERM');
      setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 5000).unref();
    },
  };
}

/** `pg_dump exited with code 1: <stderr>` or `…was killed by SIGKILL`. */
export function describeExit(program: string, exit: ChildExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `${program} ${how}${exit.stderr ? `: ${exit.stderr}` : ' (no error output)'}`;
}

/** Runs a program to its end, keeping all of its stdout. */
export async function runCapturing(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; exit: ChildExit }> {
  const child = startChild(command, args, env);
  let stdout = '';
  child.process.stdout.setEncoding('utf8');
  child.process.stdout.on('data', (text: string) => (stdout += text));
  // 'close' (which settles exit) comes after stdout has ended, so stdout is complete here.
  const exit = await child.exit;
  return { stdout, exit };
}
