/** S3's limits on multipart uploads (some S3-compatible stores allow fewer parts: the `max-parts` input). */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/** The smallest part the action uses: big enough for few requests, small enough for flat memory. */
const BASE_PART_SIZE = 8 * 1024 * 1024;

/**
 * How many times larger than `pg_database_size` the dump stream may grow and still fit in MAX_PARTS parts.
 * A compressed custom-format dump is nearly always smaller than the database it comes from (no indexes, no dead
 * rows, and zstd, gzip or lz4 take back what TOAST compression and bytea's hex text give), so 10 leaves a wide
 * margin. Uncompressed (`compression: none`), a dump can grow past the database: bytea is written as hex text
 * (twice its size) and text that TOAST stored compressed comes out whole, so that gets 50.
 */
export const GROWTH_ALLOWANCE = { compressed: 10, uncompressed: 50 } as const;

/**
 * The part size for a stream expected to come from a database of `databaseBytes`, in whole MiB: 8 MiB for
 * compressed dumps of databases up to about 7.8 GiB, then growing with the database (sooner for a store that
 * allows fewer than `MAX_PARTS` parts).
 *
 * Every part but the last has this one size, fixed before the first is sent: Cloudflare R2 rejects an upload
 * whose parts differ in size ("All non-trailing parts must have the same length"), so the size cannot grow as
 * the stream turns out larger than expected. Larger parts cost memory (docs/performance.md has the peak RSS
 * measured with each), which is why the allowance is no larger than it needs to be.
 */
export function choosePartSize(databaseBytes: number, compressed: boolean, maxParts = MAX_PARTS): number {
  const allowance = compressed ? GROWTH_ALLOWANCE.compressed : GROWTH_ALLOWANCE.uncompressed;
  const needed = Math.ceil((Math.max(0, databaseBytes) * allowance) / maxParts);
  const mib = 1024 * 1024;
  const rounded = Math.ceil(Math.max(BASE_PART_SIZE, needed) / mib) * mib;
  return Math.min(MAX_PART_SIZE, rounded);
}

/** Whether a resolved `--compress` value (see resolveCompression) compresses at all. */
export function compresses(compress: string): boolean {
  return !/^(none|0)$/.test(compress);
}

/**
 * Parts in flight at once. Memory is about partSize × (queue + 1), so large parts get a shorter queue and the
 * process stays near a fixed budget whatever the database size.
 */
export function chooseQueueSize(partSize: number, memoryBudget = 64 * 1024 * 1024): number {
  // The writer holds queue + 1 parts (one filling), so the queue is what fits beside the part being filled:
  // 4 × 8 MiB in flight for 8 MiB parts, 2 × 21 MiB for 21 MiB parts, 1 from 32 MiB on.
  return Math.max(1, Math.min(4, Math.floor(memoryBudget / partSize) - 1));
}
