/**
 * The S3 server that the global setup starts once for the whole run, as test files see it: its details come
 * through Vitest's `provide`/`inject`, the helpers use a client made in the test file's own process.
 */
import { inject } from 'vitest';

import { type S3Details, type S3Helpers, s3Client, s3Helpers } from './s3-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared S3 server (see `global-setup.ts`). */
    s3: S3Details;
    /** The Ceph release behind it, e.g. `18.2.7`. */
    cephVersion: string;
  }
}

export type SharedS3 = S3Details & S3Helpers;

export function s3FromSetup(): SharedS3 {
  const details = inject('s3');
  return { ...details, ...s3Helpers(s3Client(details)) };
}

/** The major of the Ceph release serving the shared S3 server, e.g. 16. */
export function cephMajorFromSetup(): number {
  return Number(inject('cephVersion').split('.')[0]);
}
