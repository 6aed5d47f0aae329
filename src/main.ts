import * as core from '@actions/core';
import { Output } from './constants.js';
import { errorMessage } from './errors.js';
import { type Inputs, loadInputs } from './inputs.js';
import { backupMode } from './modes/backup-mode.js';
import { restoreMode } from './modes/restore-mode.js';
import { probeBucket, probeBucketReadable } from './storage/preflight.js';
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

/** The action: read and check every input, check the bucket, run the mode. */
export async function runAction(): Promise<void> {
  const inputs = loadInputs();
  await runMode(inputs);
}

async function runMode(inputs: Inputs): Promise<void> {
  const s3 = createS3Client(inputs.storage);
  try {
    await core.group('Bucket', async () => {
      core.info(
        `Checking s3://${inputs.storage.bucket}/${inputs.storage.prefix} at ${describeStore(inputs.storage)}`,
      );
      if (inputs.mode === 'backup') {
        await probeBucket(s3, inputs.storage);
        core.info('Write, read and delete of a probe object: ok');
      } else {
        await probeBucketReadable(s3, inputs.storage);
        core.info('Listing: ok');
      }
    });
    if (inputs.mode === 'backup') await backupMode(inputs, s3);
    else await restoreMode(inputs, s3);
  } finally {
    s3.destroy();
  }
}
