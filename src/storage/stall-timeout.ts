/** How long the network to the store may move no bytes before the action gives up. */
const DEFAULT_STALL_TIMEOUT_SECONDS = 120;

/**
 * The stall timeout, in milliseconds: `POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS` when set to a positive number (the
 * fault tests shorten it), else two minutes. It bounds both an upload whose parts stop completing and any single
 * request that gets no answer, so a store that stops answering fails the run instead of hanging it.
 */
export function stallTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.POSTGRES_BACKUP_STALL_TIMEOUT_SECONDS);
  return (Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_STALL_TIMEOUT_SECONDS) * 1000;
}
