import type { Identity } from '../age/index.js';

/** What opens a backup: age secret keys, a passphrase, or nothing (for an unencrypted backup). */
export interface DecryptionSettings {
  readonly identities: readonly Identity[];
  readonly passphrase: string | undefined;
}
