/**
 * An error the user can fix by changing one input. Its message names the input and says what to do; `main.ts`
 * turns it (and every other error) into the step's failure.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
    this.name = 'InputError';
  }
}

/** Extracts a readable message from anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
