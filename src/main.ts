import * as core from '@actions/core';
import { Output } from './shared/constants.js';
import { errorMessage } from './shared/errors.js';
import { trustSystemCertificates } from './shared/system-certificates.js';
import { type Inputs, loadDrillTargetInputs, loadInputs } from './inputs.js';
import { startDrillTarget, stopDrillTarget } from './modes/drill-target-mode.js';
import { backupMode } from './modes/backup-mode.js';
import { pruneMode } from './modes/prune-mode.js';
import { restoreMode } from './modes/restore-mode.js';
import type { RunFactsDraft } from './modes/run-facts.js';
import { notifyEnd, notifyStart } from './notify/dispatch.js';
import { createS3Client } from './storage/s3-client.js';

/** The one place where an error becomes the step's failure, whichever task the step runs. */
export async function run(task: () => Promise<void> = runAction): Promise<void> {
  const started = performance.now();
  try {
    // First, before any connection: a TLS-inspecting proxy's CA is in the system store (system-certificates.ts).
    trustSystemCertificates();
    await task();
  } catch (error) {
    core.setFailed(errorMessage(error));
  } finally {
    core.setOutput(Output.DurationSeconds, ((performance.now() - started) / 1000).toFixed(1));
  }
}

/** `drill-target start|stop`: the throwaway server of the drill action's first and last steps (drill/action.yml). */
export function drillTargetTask(command: string | undefined): () => Promise<void> {
  if (command === 'start') return () => startDrillTarget(loadDrillTargetInputs());
  if (command === 'stop') return () => stopDrillTarget(process.env.DRILL_TARGET_STATE ?? '');
  return () => Promise.reject(new Error(`drill-target takes start or stop, not '${command ?? ''}'.`));
}

/** The action: read and check every input, check the bucket, run the mode. */
export async function runAction(): Promise<void> {
  const started = performance.now();
  const inputs = loadInputs();
  const facts: RunFactsDraft = { mode: inputs.mode };
  // The run does not wait for the start ping (a slow monitor cannot delay the backup); the end ping waits for it.
  const startPing = notifyStart(inputs);
  try {
    await runMode(inputs, facts);
    facts.status = 'succeeded';
  } catch (error) {
    facts.status = 'failed';
    facts.error = errorMessage(error);
    throw error;
  } finally {
    const durationSeconds = (performance.now() - started) / 1000;
    await startPing;
    await notifyEnd(inputs, { ...facts, status: facts.status ?? 'failed', durationSeconds });
  }
}

async function runMode(inputs: Inputs, facts: RunFactsDraft): Promise<void> {
  const s3 = createS3Client(inputs.storage);
  try {
    if (inputs.mode === 'backup') await backupMode(inputs, s3, facts);
    else if (inputs.mode === 'prune') await pruneMode(inputs, s3, facts);
    else await restoreMode(inputs, s3, facts);
  } finally {
    s3.destroy();
  }
}
