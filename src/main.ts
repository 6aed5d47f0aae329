import * as core from '@actions/core';
import { Output } from './shared/constants.js';
import { errorMessage } from './shared/errors.js';
import { type Inputs, loadDrillTargetInputs, loadInputs } from './inputs.js';
import { startDrillTarget, stopDrillTarget } from './modes/drill-target-mode.js';
import { backupMode } from './modes/backup-mode.js';
import { pruneMode } from './modes/prune-mode.js';
import { restoreMode } from './modes/restore-mode.js';
import type { RunFactsDraft } from './modes/run-facts.js';
import { notifySlack, shouldNotify } from './notify/slack.js';
import { probeBucket, probeBucketReadable } from './storage/preflight.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from './storage/s3-client.js';
import { describeStore } from './storage/s3-errors.js';

/** The one place where an error becomes the step's failure, whichever task the step runs. */
export async function run(task: () => Promise<void> = runAction): Promise<void> {
  const started = performance.now();
  try {
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
  try {
    await runMode(inputs, facts);
    facts.status = 'succeeded';
  } catch (error) {
    facts.status = 'failed';
    facts.error = errorMessage(error);
    throw error;
  } finally {
    if (inputs.slackWebhookUrl && shouldNotify(inputs.notify, facts.status ?? 'failed')) {
      const durationSeconds = (performance.now() - started) / 1000;
      await notifySlack(inputs.slackWebhookUrl, {
        ...facts,
        status: facts.status ?? 'failed',
        durationSeconds,
      });
    }
  }
}

async function runMode(inputs: Inputs, facts: RunFactsDraft): Promise<void> {
  const s3 = createS3Client(inputs.storage);
  try {
    // The probe starts now and is reported when awaited: a backup reads the server's version and finds its
    // client meanwhile, and still checks the bucket before it dumps (a bucket problem is reported first).
    const probe = probeStore(inputs, s3);
    probe.catch(() => undefined);
    const bucketChecked = () =>
      core.group('Bucket', async () => {
        core.info(
          `Checking s3://${inputs.storage.bucket}/${inputs.storage.prefix} at ${describeStore(inputs.storage)}`,
        );
        core.info(await probe);
      });
    if (inputs.mode === 'backup') {
      await backupMode(inputs, s3, facts, bucketChecked);
      return;
    }
    await bucketChecked();
    if (inputs.mode === 'prune') await pruneMode(inputs, s3, facts);
    else await restoreMode(inputs, s3, facts);
  } finally {
    s3.destroy();
  }
}

/** Checks what the mode needs of the bucket; resolves to the line that says so. */
async function probeStore(inputs: Inputs, s3: S3Client): Promise<string> {
  if (inputs.mode === 'backup' || inputs.mode === 'prune') {
    await probeBucket(s3, inputs.storage);
    return 'Write, read and delete of a probe object: ok';
  }
  await probeBucketReadable(s3, inputs.storage);
  return 'Listing: ok';
}
