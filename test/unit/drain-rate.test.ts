// The drain rate and the time to an empty queue, from the per-minute counts the store keeps.
import { describe, expect, it } from 'vitest';
import { drainOf } from '../../src/core/drain-rate.js';

const NOW = new Date('2026-01-05T09:10:30.000Z');

/** A queue whose drained counts are `items` since the minute `from`. */
function counted(items: number, from: string | null) {
  const asked: string[] = [];
  return { asked, queue: { syncDrainedSince: async (since: string) => (asked.push(since), { items, from }) } };
}

describe('drain rate', () => {
  it('when items drained over the whole window, then the rate is over five minutes and the estimate is depth ÷ rate', async () => {
    const { asked, queue } = counted(300, '2026-01-05T09:04:00.000Z');
    expect(await drainOf(queue, 120, NOW)).toEqual({ perMinute: 60, emptyInSeconds: 120 });
    expect(asked).toEqual(['2026-01-05T09:05:30.000Z']);
  });

  it('when draining began two minutes ago, then the rate is over those two minutes', async () => {
    const { queue } = counted(50, '2026-01-05T09:08:30.000Z');
    expect(await drainOf(queue, 10, NOW)).toEqual({ perMinute: 25, emptyInSeconds: 24 });
  });

  it('when draining began seconds ago, then the rate is over one minute at least', async () => {
    const { queue } = counted(9, '2026-01-05T09:10:00.000Z');
    expect(await drainOf(queue, 9, NOW)).toEqual({ perMinute: 9, emptyInSeconds: 60 });
  });

  it('when nothing drains, then there is no estimate while work waits, and 0 when the queue is empty', async () => {
    const { queue } = counted(0, null);
    expect(await drainOf(queue, 4, NOW)).toEqual({ perMinute: 0, emptyInSeconds: null });
    expect(await drainOf(queue, 0, NOW)).toEqual({ perMinute: 0, emptyInSeconds: 0 });
  });
});
