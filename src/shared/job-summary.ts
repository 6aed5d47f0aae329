import * as core from '@actions/core';
import { errorMessage } from './errors.js';

/** Writes the job summary that `build` adds to; a failure only warns, since the summary is optional work. */
export async function writeJobSummary(
  build: (summary: typeof core.summary) => typeof core.summary,
): Promise<void> {
  try {
    await build(core.summary).write();
  } catch (error) {
    core.warning(`The job summary could not be written: ${errorMessage(error)}`);
  }
}
