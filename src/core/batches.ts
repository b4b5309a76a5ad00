// Splitting work into batches by size: consecutive runs of items whose sizes add up to at most a
// budget, so that no more than that is ever held at once (a page of groups and their members).

/**
 * Consecutive runs of `items`, in order, whose `sizes` add up to at most `budget`; an item larger
 * than the budget is a batch of its own (with any empty items that follow it).
 */
export function batchesWithin<T>(items: readonly T[], sizes: readonly number[], budget: number): T[][] {
  if (sizes.length !== items.length) throw new TypeError('batchesWithin needs one size per item');
  const batches: T[][] = [];
  let batch: T[] = [];
  let filled = 0;
  items.forEach((item, index) => {
    const size = sizes[index] as number;
    if (batch.length > 0 && size > 0 && filled + size > budget) {
      batches.push(batch);
      batch = [];
      filled = 0;
    }
    batch.push(item);
    filled += size;
  });
  if (batch.length > 0) batches.push(batch);
  return batches;
}
