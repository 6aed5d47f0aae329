import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3FromSetup } from './s3-inject.js';

/** A fresh bucket on the test run's S3 server, and what the tests need to look inside it. */
export interface TestBucket {
  readonly name: string;
  readonly client: S3Client;
  /** The action's inputs that point at this bucket. */
  readonly inputs: Record<string, string>;
  readonly secretAccessKey: string;
  keys(prefix?: string): Promise<string[]>;
  pendingUploads(): Promise<string[]>;
  get(key: string): Promise<Buffer>;
}

/** `objectLock`: a bucket with S3 Object Lock (and so versioning), which can only be turned on at creation here. */
export async function createTestBucket(options: { readonly objectLock?: boolean } = {}): Promise<TestBucket> {
  const s3 = s3FromSetup();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const name = `test-${randomBytes(6).toString('hex')}`;
  await client.send(
    new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: options.objectLock }),
  );
  return {
    name,
    client,
    secretAccessKey: s3.secretAccessKey,
    inputs: {
      bucket: name,
      endpoint: s3.endpoint,
      region: s3.region,
      'access-key-id': s3.accessKeyId,
      'secret-access-key': s3.secretAccessKey,
    },
    async keys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async pendingUploads() {
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
      return (listed.Uploads ?? []).map((upload) => upload.Key!);
    },
    async get(key) {
      const object = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },
  };
}
