/**
 * Digests of everything that could carry a secret. The manifest is plaintext, so a function body, a view, a
 * default, a policy, a comment or a setting's value (Supabase keeps its JWT secret in `ALTER DATABASE … SET`) is
 * recorded as 16 hex digits of SHA-256: enough to tell that it changed, nothing to read. With a key (HMAC), even a
 * short value cannot be guessed by hashing candidates.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Digester {
  /** `sha256` or `hmac-sha256:<key id>`, recorded in the inventory. */
  readonly scheme: string;
  /** `#` and 16 hex digits. */
  digest(text: string): string;
}

export function makeDigester(key?: string): Digester {
  if (key === undefined) {
    return {
      scheme: 'sha256',
      digest: (text) => `#${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
    };
  }
  // The key's id tells two inventories digested with different keys apart, without revealing the key.
  const id = createHash('sha256').update(`inventory digest key\n${key}`).digest('hex').slice(0, 8);
  return {
    scheme: `hmac-sha256:${id}`,
    digest: (text) => `#${createHmac('sha256', key).update(text).digest('hex').slice(0, 16)}`,
  };
}
