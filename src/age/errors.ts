/** What went wrong, for callers that react differently to a wrong key than to a damaged file. */
export type AgeErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_OPTIONS'
  | 'NOT_AGE_FILE'
  | 'INVALID_ARMOR'
  | 'UNSUPPORTED_VERSION'
  | 'MALFORMED_HEADER'
  | 'HEADER_MAC'
  | 'NO_MATCH'
  | 'WRONG_PASSPHRASE'
  | 'PASSPHRASE_FILE'
  | 'NOT_PASSPHRASE_FILE'
  | 'WORK_FACTOR_TOO_HIGH'
  | 'TRUNCATED_HEADER'
  | 'TRUNCATED'
  | 'DAMAGED'
  | 'TRAILING_DATA';

/**
 * An error from age key parsing, encryption or decryption. Messages say what is wrong and what to do, and never
 * contain secret key material.
 */
export class AgeError extends Error {
  constructor(
    readonly code: AgeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgeError';
  }
}

/** Options given to encryption or decryption that cannot work, such as no recipient at all. */
export function invalidOptions(message: string): AgeError {
  return new AgeError('INVALID_OPTIONS', message);
}
