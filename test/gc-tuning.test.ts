import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';

const newSpaceBytes = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;

describe('garbage collector tuning', () => {
  // The benchmark's gain (one full collection per backup instead of 23–25) rests on this: if a Node upgrade stopped
  // honouring the flag at run time, the young generation would grow again (to 64 MiB on Node 24 without it).
  it('keeps the young generation from growing while many young objects survive', async () => {
    await import('../src/gc-tuning.js');
    const before = newSpaceBytes();
    const survivors: object[] = new Array<object>(50_000);
    for (let i = 0; i < 400_000; i++) survivors[i % survivors.length] = { i, text: `row ${i}`, pair: [i, i] };
    expect(survivors.every(Boolean)).toBe(true);
    expect(newSpaceBytes()).toBeLessThanOrEqual(Math.max(before, 2 * 1024 * 1024));
  });
});
