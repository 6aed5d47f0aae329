/** Collects what @actions/core writes to stdout (annotations, log lines) while `work` runs. */
export async function captureStdout<T>(work: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  try {
    const result = await work();
    return { result, stdout: chunks.join('') };
  } finally {
    process.stdout.write = original;
  }
}

/** stdout without the `::add-mask::` commands, which necessarily carry the secrets they mask. */
export function withoutMaskCommands(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** Collects what is written to stderr until stopped (it still reaches the terminal). */
export function captureStderr(): { stop(): void; text(): string } {
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return original(chunk, ...(rest as []));
  };
  return {
    stop: () => {
      process.stderr.write = original;
    },
    text: () => chunks.join(''),
  };
}
