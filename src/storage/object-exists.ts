import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from './s3-client.js';
import { explainS3Error } from './s3-errors.js';

/** The HTTP status of an S3 SDK error, when it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Whether `key` exists (HeadObject: 404 is no; any other failure is explained and thrown). */
export async function objectExists(s3: S3Client, settings: S3Settings, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }));
    return true;
  } catch (error) {
    if (httpStatusOf(error) === 404) return false;
    throw new Error(explainS3Error(error, settings, `read ${key}`), { cause: error });
  }
}
