/**
 * Runs `cleanup` (synchronous, best effort) when the process exits, and on SIGTERM, SIGINT and SIGHUP, which skip
 * 'exit' handlers (Vitest ends its fork workers with SIGTERM). After a signal, the signal is raised again unless
 * someone else handles it, so the process ends as it would have.
 */
export function cleanUpOnExit(cleanup: () => void): void {
  process.on('exit', cleanup);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
