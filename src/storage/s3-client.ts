import { S3Client } from '@aws-sdk/client-s3';
import type { ObjectWrites } from './object-writes.js';
import { stallTimeoutMs } from './stall-timeout.js';

const CONNECT_TIMEOUT_MS = 30_000;

export interface S3Settings {
  readonly bucket: string;
  readonly prefix: string;
  /** S3-compatible endpoint (R2, MinIO, B2, Wasabi…); undefined for AWS S3. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** From the inputs; undefined means the SDK's default chain (env, OIDC web identity, instance roles). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** The most parts the store takes in one multipart upload (S3 and R2: 10,000; Scaleway: 1,000). */
  readonly maxParts: number;
  /** Backup: the dump's storage class and the objects' lock; undefined writes as the store's default. */
  readonly writes?: ObjectWrites;
}

/**
 * An S3 client for AWS or an S3-compatible provider. With a custom endpoint the SDK sends and checks checksums
 * only when an operation requires them: since 2025 its defaults add CRC32 trailers to every upload, which R2, B2,
 * Wasabi and Ceph reject (a streamed body then has no Content-Length: 411 MissingContentLength).
 */
export function createS3Client(settings: S3Settings): S3Client {
  const custom = settings.endpoint !== undefined;
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    requestChecksumCalculation: custom ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: custom ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    maxAttempts: 5,
    // A request whose socket moves no bytes either way for this long fails (and is retried) instead of waiting
    // forever: a store that stops answering, as a full Ceph cluster does, would otherwise hang the job until its
    // own timeout. An idle limit, not the SDK's `requestTimeout`: that one bounds a whole request (a large part
    // on a slow link is not stuck), and since @smithy/node-http-handler 4.x it only logs a warning unless asked.
    requestHandler: { socketTimeout: stallTimeoutMs(), connectionTimeout: CONNECT_TIMEOUT_MS },
  });
}
