/**
 * ML-KEM-768 (FIPS 203), the post-quantum half of age's hybrid recipients. node:crypto has it from Node 24.7
 * (OpenSSL 3.5), which the main action runs on; the drill composite runs the bundle under the runner's PATH Node,
 * 20 or 22 on GitHub's images, which lack it, so there @noble/post-quantum (pure JavaScript, the implementation
 * the age authors' TypeScript library uses) does the same work. Both take the same 64-byte seed and produce the
 * same keys, which the tests check against each other and against the community test vectors.
 */
import * as nodeCrypto from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

export const MLKEM_SEED_LENGTH = 64;
export const MLKEM_PUBLIC_KEY_LENGTH = 1184;
export const MLKEM_CIPHERTEXT_LENGTH = 1088;
const Q = 3329;

// DER prefixes for ML-KEM-768 (OID 2.16.840.1.101.3.4.4.2): SubjectPublicKeyInfo, and PKCS #8 in the seed-only
// form of the IETF's ML-KEM key format, each followed by the raw key or seed. DER works on every Node with ML-KEM,
// where the raw formats came later.
const SPKI_PREFIX = Buffer.from('308204b2300b0609608648016503040402038204a100', 'hex');
const PKCS8_SEED_PREFIX = Buffer.from('3054020100300b060960864801650304040204428040', 'hex');

export interface MlKemKeyPair {
  readonly publicKey: Buffer;
  /** The shared secret; a ciphertext that was tampered with gives an unrelated one (implicit rejection). */
  decapsulate(ciphertext: Uint8Array): Buffer;
}

export interface MlKem768 {
  readonly name: string;
  /** The key pair FIPS 203 derives from the seed d || z. */
  keyPair(seed: Uint8Array): MlKemKeyPair;
  encapsulate(publicKey: Uint8Array): { readonly ciphertext: Buffer; readonly sharedSecret: Buffer };
}

/**
 * The encapsulation key check of FIPS 203 (section 7.2): every 12-bit coefficient below q. Encapsulating to a key
 * that fails it is not defined, so a recipient with such a key is refused when it is parsed.
 */
export function isValidEncapsulationKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== MLKEM_PUBLIC_KEY_LENGTH) return false;
  for (let i = 0; i < MLKEM_PUBLIC_KEY_LENGTH - 32; i += 3) {
    const b0 = publicKey[i]!;
    const b1 = publicKey[i + 1]!;
    const b2 = publicKey[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

type NativeKem = Pick<typeof nodeCrypto, 'encapsulate' | 'decapsulate'>;

function nativeKem(): NativeKem | undefined {
  const { encapsulate, decapsulate } = nodeCrypto as Partial<NativeKem>;
  if (typeof encapsulate !== 'function' || typeof decapsulate !== 'function') return undefined;
  try {
    // A Node built against an OpenSSL without ML-KEM has the functions but not the algorithm.
    nodeCrypto.createPrivateKey({
      key: Buffer.concat([PKCS8_SEED_PREFIX, Buffer.alloc(MLKEM_SEED_LENGTH)]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    return undefined;
  }
  return { encapsulate, decapsulate };
}

function nodeMlKem(kem: NativeKem): MlKem768 {
  return {
    name: 'node:crypto',
    keyPair(seed) {
      const privateKey = nodeCrypto.createPrivateKey({
        key: Buffer.concat([PKCS8_SEED_PREFIX, seed]),
        format: 'der',
        type: 'pkcs8',
      });
      const spki = nodeCrypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      return {
        publicKey: Buffer.from(spki.subarray(SPKI_PREFIX.length)),
        decapsulate: (ciphertext) => kem.decapsulate(privateKey, ciphertext),
      };
    },
    encapsulate(publicKey) {
      const key = nodeCrypto.createPublicKey({
        key: Buffer.concat([SPKI_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      });
      const { ciphertext, sharedKey } = kem.encapsulate(key);
      return { ciphertext, sharedSecret: sharedKey };
    },
  };
}

export const NOBLE_MLKEM: MlKem768 = {
  name: '@noble/post-quantum',
  keyPair(seed) {
    const { publicKey, secretKey } = ml_kem768.keygen(Uint8Array.from(seed));
    return {
      publicKey: Buffer.from(publicKey),
      decapsulate: (ciphertext) => Buffer.from(ml_kem768.decapsulate(ciphertext, secretKey)),
    };
  },
  encapsulate(publicKey) {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
    return { ciphertext: Buffer.from(cipherText), sharedSecret: Buffer.from(sharedSecret) };
  },
};

const native = nativeKem();

/** node:crypto's ML-KEM-768, or undefined under a Node that lacks it. */
export const NODE_MLKEM: MlKem768 | undefined = native && nodeMlKem(native);

/** The implementation this process uses: node:crypto's where it has one. */
export const DEFAULT_MLKEM: MlKem768 = NODE_MLKEM ?? NOBLE_MLKEM;
