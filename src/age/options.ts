import { invalidOptions } from './errors.js';

/** The keys an options object may give instead of a passphrase, and how to word a mistake with them. */
export interface KeyOption {
  /** The option's name: `recipients` or `identities`. */
  readonly name: string;
  /** One of them, for "needs at least one …". */
  readonly singular: string;
  /** `encryption` or `decryption`. */
  readonly purpose: string;
  /** The classes every key must be an instance of, and the parser that makes them. */
  readonly types: readonly (abstract new (...args: never[]) => object)[];
  readonly parser: string;
}

/** Checks options that give either a non-empty list of keys of `keys.types` or a non-empty passphrase, never both. */
export function checkKeysOrPassphrase(options: object, keys: KeyOption): void {
  if (keys.name in options) {
    if ('passphrase' in options) throw invalidOptions(`give either ${keys.name} or a passphrase, not both`);
    const given: unknown = (options as Record<string, unknown>)[keys.name];
    if (!Array.isArray(given) || given.length === 0) {
      throw invalidOptions(`${keys.purpose} needs at least one ${keys.singular}`);
    }
    if (!given.every((key) => keys.types.some((type) => key instanceof type))) {
      throw invalidOptions(`${keys.name} must come from ${keys.parser}()`);
    }
    return;
  }
  const { passphrase } = options as { passphrase?: unknown };
  if (typeof passphrase !== 'string' || passphrase === '') {
    throw invalidOptions('the passphrase must not be empty');
  }
}

/** A scrypt work factor (log2 N) must be a whole number from 1 to `max`. */
export function checkWorkFactor(value: number, max: number, label: string): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidOptions(`${label} must be an integer from 1 to ${max}`);
  }
}
