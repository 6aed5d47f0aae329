import { setFlagsFromString } from 'node:v8';

/**
 * On import: keeps V8's young generation at its initial size (a semi-space growth factor of 1; V8 otherwise
 * doubles it, up to 64 MiB, whenever many young objects survive a scavenge).
 *
 * A backup streams hundreds of megabytes through small short-lived buffers while its JavaScript heap stays small.
 * With a grown young generation, V8 starts a full mark-compact on its allocation limit again and again: it starts
 * marking early once the room left below the limit is less than what the young generation may promote. Keeping
 * the young generation small saves those collections, CPU and memory (the figures, measured with the bench:
 * docs/performance.md).
 *
 * V8 reads the flag each time it resizes the young generation, which is why setting it while running works
 * (test/gc-tuning.test.ts checks that it still does); it changes no results, only when memory is reclaimed. It
 * cannot shrink a young generation that has already grown, so the entry point imports this module first, before
 * the bundle's other modules run (set after them, it was measured to save nothing).
 */
setFlagsFromString('--semi-space-growth-factor=1');
