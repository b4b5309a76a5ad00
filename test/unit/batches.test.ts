import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchesWithin } from '../../src/core/batches.js';

const sum = (sizes: readonly number[]) => sizes.reduce((total, size) => total + size, 0);

describe('batchesWithin', () => {
  it('when items are batched, then the batches hold every item in order, each within the budget unless it starts with an item beyond it, and none could take the next item', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { maxLength: 40 }), fc.integer({ min: 1, max: 60 }), (sizes, budget) => {
        const items = sizes.map((size, index) => ({ index, size }));
        const batches = batchesWithin(items, sizes, budget);
        expect(batches.flat()).toEqual(items);
        for (const [position, batch] of batches.entries()) {
          expect(batch.length).toBeGreaterThan(0);
          const filled = sum(batch.map((item) => item.size));
          const [first] = batch;
          if (first !== undefined && first.size <= budget) expect(filled).toBeLessThanOrEqual(budget);
          else expect(batch.slice(1).every((item) => item.size === 0)).toBe(true);
          const next = batches[position + 1]?.[0];
          if (next !== undefined) expect(next.size > 0 && filled + next.size > budget).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('when a group is bigger than the budget, then it is a batch of its own between the others', () => {
    expect(batchesWithin(['a', 'b', 'big', 'c', 'd'], [3, 4, 50, 2, 9], 10)).toEqual([['a', 'b'], ['big'], ['c'], ['d']]);
    expect(batchesWithin(['big', 'empty', 'e'], [50, 0, 1], 10)).toEqual([['big', 'empty'], ['e']]);
    expect(batchesWithin([], [], 10)).toEqual([]);
    expect(() => batchesWithin(['a'], [], 10)).toThrow(TypeError);
  });
});
