/**
 * Run as `node --import tsx trust-probe.ts <trust|plain> <url> [<s3-endpoint>]`, in a process of its own because
 * the trust a process gives its TLS clients is process-wide: with `trust` it first calls the action's
 * trustSystemCertificates, with `plain` it does not. Then it downloads `url` with the installer's own
 * fetchBuffer and, given an endpoint, lists a bucket there with the action's own S3 client, and prints one JSON
 * line saying what each did (the last line of its output; core.debug writes lines of its own before it).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { fetchBuffer } from '../../src/installer/verified-download.js';
import { trustSystemCertificates } from '../../src/shared/system-certificates.js';
import { createS3Client } from '../../src/storage/s3-client.js';

export interface ProbeResult {
  readonly trust?: ReturnType<typeof trustSystemCertificates>;
  readonly download: { readonly body?: string; readonly error?: string };
  /** The HTTP status the store answered with (any status means TLS worked), or the error that prevented one. */
  readonly s3?: { readonly status?: number; readonly error?: string };
}

async function listBucket(endpoint: string): Promise<NonNullable<ProbeResult['s3']>> {
  const s3 = createS3Client({
    bucket: 'probe',
    prefix: '',
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' },
    maxParts: 10_000,
  });
  try {
    const answer = await s3.send(new ListObjectsV2Command({ Bucket: 'probe', MaxKeys: 1 }));
    return { status: answer.$metadata.httpStatusCode ?? 0 };
  } catch (error) {
    const failure = error as { $metadata?: { httpStatusCode?: number }; code?: string; message?: string };
    const status = failure.$metadata?.httpStatusCode;
    return status ? { status } : { error: `${failure.code ?? ''} ${failure.message ?? String(error)}` };
  } finally {
    s3.destroy();
  }
}

const [mode, url, endpoint] = process.argv.slice(2);
if ((mode !== 'trust' && mode !== 'plain') || !url)
  throw new Error('usage: trust-probe.ts <trust|plain> <url> [<s3-endpoint>]');

const trust = mode === 'trust' ? trustSystemCertificates() : undefined;
const download = await fetchBuffer(url).then(
  (body) => ({ body: body.toString('utf8') }),
  (error: unknown) => ({ error: (error as Error).message }),
);
const s3 = endpoint ? await listBucket(endpoint) : undefined;
const result: ProbeResult = { trust, download, s3 };
console.log(JSON.stringify(result));
