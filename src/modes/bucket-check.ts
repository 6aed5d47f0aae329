import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { probeBucket, probeBucketReadable } from '../storage/preflight.js';
import type { S3Settings } from '../storage/s3-client.js';
import { describeStore } from '../storage/s3-errors.js';

/** What a mode needs of the bucket: to write and delete (backup, prune), or only to list and read. */
export type BucketAccess = 'write' | 'read';

/**
 * The bucket check of a run, started at once and reported, in a log group of its own, when the mode first
 * depends on it: a backup reads the server's version and finds its client meanwhile, and still reports a bucket
 * problem first (it is the one to fix first, and the dump never starts without a usable bucket).
 */
export class BucketCheck {
  readonly #outcome: Promise<string>;
  #reported: Promise<void> | undefined;

  constructor(
    s3: S3Client,
    private readonly storage: S3Settings,
    access: BucketAccess,
  ) {
    this.#outcome = probe(s3, storage, access);
    this.#outcome.catch(() => undefined);
  }

  /** Awaits the check and logs its outcome, once however often it is asked; rejects with its problem. */
  report(): Promise<void> {
    this.#reported ??= core.group('Bucket', async () => {
      core.info(
        `Checking s3://${this.storage.bucket}/${this.storage.prefix} at ${describeStore(this.storage)}`,
      );
      core.info(await this.#outcome);
    });
    return this.#reported;
  }

  /** Runs `task` while the check goes on, then reports the check: first, even when `task` failed too. */
  async alongside<T>(task: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await task();
    } catch (error) {
      await this.report();
      throw error;
    }
    await this.report();
    return result;
  }
}

async function probe(s3: S3Client, storage: S3Settings, access: BucketAccess): Promise<string> {
  if (access === 'write') {
    const notes = await probeBucket(s3, storage);
    return ['Write, read and delete of a probe object: ok', ...notes].join('\n');
  }
  await probeBucketReadable(s3, storage);
  return 'Listing: ok';
}
