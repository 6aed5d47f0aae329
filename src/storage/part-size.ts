/** S3's limits on multipart uploads. */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/** The smallest part the action uses: big enough for few requests, small enough for flat memory. */
const BASE_PART_SIZE = 8 * 1024 * 1024;

/**
 * How many times larger than `pg_database_size` the dump stream may grow and still fit in MAX_PARTS parts.
 * A custom-format dump is usually much smaller than the database (no indexes, compressed), but an
 * uncompressible bytea-heavy database with `compression: none` can approach it, and sizes are estimates.
 */
export const GROWTH_ALLOWANCE = 50;

/** The part size for a stream expected to come from a database of `databaseBytes`, in whole MiB. */
export function choosePartSize(databaseBytes: number): number {
  const needed = Math.ceil((Math.max(0, databaseBytes) * GROWTH_ALLOWANCE) / MAX_PARTS);
  const mib = 1024 * 1024;
  const rounded = Math.ceil(Math.max(BASE_PART_SIZE, needed) / mib) * mib;
  return Math.min(MAX_PART_SIZE, rounded);
}

/**
 * Parts in flight at once. Memory is about partSize × (queue + 1), so large parts get a shorter queue and the
 * process stays near a fixed budget whatever the database size.
 */
export function chooseQueueSize(partSize: number, memoryBudget = 64 * 1024 * 1024): number {
  // The writer holds queue + 1 parts (one filling), so the queue is what fits beside the part being filled:
  // 4 × 8 MiB in flight for databases up to 1.6 GB, 2 × 21 MiB for 4 GiB.
  return Math.max(1, Math.min(4, Math.floor(memoryBudget / partSize) - 1));
}
