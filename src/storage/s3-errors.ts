import type { S3Settings } from './s3-client.js';

interface S3ErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: { code?: string };
}

/** Where requests went, for messages: the endpoint, or AWS S3 in a region. */
export function describeStore(settings: S3Settings): string {
  return settings.endpoint ? `the endpoint ${settings.endpoint}` : `AWS S3 (${settings.region})`;
}

/** The S3 error code (NoSuchBucket, AccessDenied…) or the network error code (ECONNREFUSED…). */
export function s3ErrorCode(error: unknown): string {
  const e = (error ?? {}) as S3ErrorShape;
  return e.Code ?? e.code ?? e.cause?.code ?? e.name ?? 'Error';
}

/** Turns an S3 failure into a sentence that says which setting is wrong. Never includes a secret. */
export function explainS3Error(error: unknown, settings: S3Settings, doing: string): string {
  const code = s3ErrorCode(error);
  const status = (error as S3ErrorShape | undefined)?.$metadata?.httpStatusCode;
  const where = describeStore(settings);
  const detail = `${code}${status ? `, HTTP ${status}` : ''}`;
  switch (code) {
    case 'NoSuchBucket':
      return `Input 'bucket': the bucket '${settings.bucket}' does not exist at ${where} (${detail}): check its name, and the endpoint and region.`;
    case 'InvalidAccessKeyId':
      return `Input 'access-key-id': ${where} does not know this access key (${detail}): check the key ID, and that it belongs to this provider.`;
    case 'SignatureDoesNotMatch':
      return `Input 'secret-access-key': ${where} refused the request signature (${detail}): the secret access key does not match the key ID.`;
    case 'AccessDenied':
    case 'Forbidden':
      return `The credentials are not allowed to ${doing} in bucket '${settings.bucket}' at ${where} (${detail}): grant s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucket and s3:AbortMultipartUpload on it.`;
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return `Input 'region': the bucket '${settings.bucket}' is in another region than '${settings.region}' (${detail}): set region to the bucket's region.`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `Input 'endpoint': could not reach ${where} (${code}): check the endpoint URL.`;
    case 'InvalidObjectState':
      return explainArchived(error, settings, doing, detail);
    case 'CredentialsProviderError':
      return 'No S3 credentials: set access-key-id and secret-access-key, or configure AWS credentials before this step (for example aws-actions/configure-aws-credentials with OIDC).';
  }
  const message = (error as S3ErrorShape | undefined)?.message;
  return `S3 request to ${doing} failed at ${where} (${detail})${message && message !== code ? `: ${message}` : ''}`;
}

/**
 * An archived object (GLACIER, DEEP_ARCHIVE, an archive tier of INTELLIGENT_TIERING), which a lifecycle rule moved
 * there: S3 serves it only after a restore request, hours later.
 */
function explainArchived(error: unknown, settings: S3Settings, doing: string, detail: string): string {
  const shape = error as { StorageClass?: string; AccessTier?: string };
  const storageClass = shape.StorageClass ?? 'an archive storage class';
  const archive = shape.AccessTier ? `the ${shape.AccessTier} tier of ${storageClass}` : storageClass;
  const key = /^read (.+)$/.exec(doing)?.[1] ?? '<key>';
  return (
    `Cannot ${doing}: the object is in ${archive}, which S3 serves only after a restore (${detail}). Restore it ` +
    `first (aws s3api restore-object --bucket ${settings.bucket} --key ${key} --restore-request '{"Days":3}'; ` +
    "'{}' for INTELLIGENT_TIERING's archive tiers), wait until aws s3api head-object no longer shows " +
    'ongoing-request="true" (hours for GLACIER, up to 48 for DEEP_ARCHIVE), then run again. A backup that drills ' +
    'must read belongs in a class that needs no restore, such as GLACIER_IR.'
  );
}
