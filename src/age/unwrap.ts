/** Finding the file key among a header's stanzas with the given identities, or saying why none opens it. */
import { AgeError } from './errors.js';
import type { Stanza } from './header.js';
import { HYBRID_STANZA_TYPE } from './hybrid.js';
import { shortRecipient, type Identity } from './keys.js';
import { SCRYPT_STANZA_TYPE } from './scrypt.js';

const NATIVE_NAMES: Record<string, string> = {
  X25519: 'X25519',
  [HYBRID_STANZA_TYPE]: 'post-quantum (mlkem768x25519)',
};

function counted(count: number, name: string): string {
  return `${count} ${name} recipient${count === 1 ? '' : 's'}`;
}

/** "1 X25519 recipient and 2 post-quantum (mlkem768x25519) recipients", then any other stanza types. */
function describeStanzas(stanzas: readonly Stanza[]): string {
  const parts: string[] = [];
  for (const [type, name] of Object.entries(NATIVE_NAMES)) {
    const count = stanzas.filter((stanza) => stanza.args[0] === type).length;
    if (count > 0) parts.push(counted(count, name));
  }
  const others = [
    ...new Set(stanzas.map((stanza) => stanza.args[0]!).filter((type) => !(type in NATIVE_NAMES))),
  ];
  if (others.length > 0) parts.push(`stanzas of other types (${others.join(', ')})`);
  return parts.join(' and ');
}

export function unwrapWithIdentities(identities: readonly Identity[], stanzas: readonly Stanza[]): Buffer {
  if (stanzas.some((stanza) => stanza.args[0] === SCRYPT_STANZA_TYPE)) {
    if (stanzas.length !== 1) {
      throw new AgeError(
        'MALFORMED_HEADER',
        'the file header is malformed: an scrypt stanza must be the only stanza',
      );
    }
    throw new AgeError(
      'PASSPHRASE_FILE',
      'this file was encrypted with a passphrase, not to public keys: decrypt it with the passphrase',
    );
  }
  for (const stanza of stanzas) {
    for (const identity of identities) {
      const fileKey = identity.unwrap(stanza);
      if (fileKey !== null) return fileKey;
    }
  }
  const yours = identities.map((identity) => shortRecipient(identity.recipient.toString())).join(', ');
  throw new AgeError(
    'NO_MATCH',
    `no identity matches any recipient of this file: it was encrypted to ${describeStanzas(stanzas)}, ` +
      `none of them the public key of the given secret key${identities.length === 1 ? '' : 's'} (${yours})`,
  );
}
