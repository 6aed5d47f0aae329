import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { run } from '../../src/main.js';
import { captureStderr, captureStdout } from './capture.js';
import { watchChildArgv } from './child-argv.js';

const execFileAsync = promisify(execFile);

export interface ActionResult {
  readonly failed: boolean;
  readonly stdout: string;
  readonly outputs: Record<string, string>;
  /** The raw GITHUB_OUTPUT, GITHUB_PATH and GITHUB_STEP_SUMMARY files, for leak checks. */
  readonly files: string;
  /** What the action wrote to stderr (the SDKs' own warnings, for instance). */
  readonly stderr: string;
  /** The command line of every child process the action started. */
  readonly childArgv: string[];
  readonly paths: string[];
}

/**
 * Runs the action in this process the way the runner does: inputs as INPUT_* variables, outputs and PATH
 * additions through the GITHUB_OUTPUT and GITHUB_PATH files.
 */
export async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionResult> {
  const saved = { ...process.env };
  const dir = await mkdtemp(join(tmpdir(), 'action-run-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_PATH: 'path', GITHUB_STEP_SUMMARY: 'summary' };
  try {
    for (const [name, file] of Object.entries(files)) {
      await writeFile(join(dir, file), '');
      process.env[name] = join(dir, file);
    }
    for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value;
    Object.assign(process.env, env);
    process.exitCode = undefined;
    // The runner starts a new process per step; in one process @actions/core remembers the first summary file.
    Reflect.set(core.summary, '_filePath', undefined);
    core.summary.emptyBuffer();
    const argv = watchChildArgv();
    const stderr = captureStderr();
    let stdout: string;
    try {
      ({ stdout } = await captureStdout(run));
    } finally {
      stderr.stop();
    }
    const childArgv = await argv.stop();
    const failed = currentExitCode() === 1;
    process.exitCode = undefined;
    const output = await readFile(join(dir, 'output'), 'utf8');
    const path = await readFile(join(dir, 'path'), 'utf8');
    const summary = await readFile(join(dir, 'summary'), 'utf8');
    return {
      failed,
      stdout,
      outputs: parseOutputFile(output),
      files: [output, path, summary].join('\n'),
      stderr: stderr.text(),
      childArgv,
      paths: path.split('\n').filter(Boolean),
    };
  } finally {
    for (const name of Object.keys(process.env))
      if (!(name in saved)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, saved);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Read through a call, so the type checker does not assume the value assigned before `await run()`. */
function currentExitCode(): string | number | null | undefined {
  return process.exitCode;
}

/** Reads the `name<<DELIMITER … DELIMITER` blocks that @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) outputs[match[1]!] = match[3]!;
  return outputs;
}

export interface BundleResult {
  readonly failed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

/**
 * Runs the bundle (`dist/index.js`) in a process of its own under `node`, as the runner does: inputs as INPUT_*
 * variables, outputs, PATH additions and the summary through the runner's files. `env` is added to this process's
 * environment.
 */
export async function runBundledAction(
  node: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BundleResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-run-'));
  try {
    const files = {
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_PATH: join(dir, 'path'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    };
    await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, ...files };
    for (const [name, value] of Object.entries(inputs)) childEnv[`INPUT_${name.toUpperCase()}`] = value;
    const result = await execFileAsync(node, [join(import.meta.dirname, '..', '..', 'dist', 'index.js')], {
      env: childEnv,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: unknown) => {
        const failed = error as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof failed.code !== 'number') throw error;
        return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      },
    );
    return {
      failed: result.code !== 0,
      stdout: result.stdout,
      stderr: result.stderr,
      outputs: parseOutputFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
