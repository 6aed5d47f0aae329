/** What the notification tests (Slack, webhook, heartbeat) share: the run's variables, delivery timings, stdout. */
import { type MockInstance, vi } from 'vitest';
import type { DeliveryOptions } from '../../src/notify/delivery.js';

/** The variables that make the run link. */
export const RUN_ENV = {
  GITHUB_SERVER_URL: 'https://github.example.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '4242',
};

/** No pauses between tries, and a timeout far beyond any answer's time on a loaded machine: only silence times out. */
export const NO_PAUSES: DeliveryOptions = { timeoutMs: 30_000, retryDelaysMs: [0, 0] };
/** For the service that never answers: a short wait, which the test then needs no other timing for. */
export const SHORT_WAIT: DeliveryOptions = { timeoutMs: 200, retryDelaysMs: [0, 0] };

/** Swallows what @actions/core writes to stdout from `start()` to `stop()`, and reads it back. */
export function silencedStdout() {
  let spy: MockInstance<typeof process.stdout.write> | undefined;
  const written = (): string =>
    (spy?.mock.calls ?? [])
      .map(([chunk]) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()))
      .join('');
  return {
    start: () => {
      spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    },
    stop: () => spy?.mockRestore(),
    written,
    /** The `::warning::` lines written. */
    warnings: (): string[] =>
      written()
        .split('\n')
        .filter((line) => line.startsWith('::warning::')),
  };
}
