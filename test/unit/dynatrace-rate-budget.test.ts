// The client-side rate budget, on a virtual clock: no window ever holds more than the budget, whether
// one budget grants alone or several share one ledger (a restart, replicas).
import { describe, expect, it } from 'vitest';
import { createRateBudget } from '../../src/adapters/dynatrace/index.js';
import { createMemoryRateLedger } from '../../src/adapters/store/index.js';
import { createVirtualClock } from '../helpers/sandbox-clock.js';

function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < times.length; i += 1) {
    const start = times[i] as number;
    // half-open window [start, start + windowMs)
    const n = times.filter((t) => t >= start && t < start + windowMs).length;
    max = Math.max(max, n);
  }
  return max;
}

describe('rate budget', () => {
  it('when 55 callers race for a budget of 10 a minute, then no 60 s window holds more than 10 grants', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 10, clock });
    const granted: number[] = [];
    await Promise.all(Array.from({ length: 55 }, () => budget.acquire().then(() => granted.push(clock.now()))));
    expect(granted).toHaveLength(55);
    expect(maxInAnyWindow(granted, 60_000)).toBe(10);
    // 55 grants at 10 per window need five full windows after the first burst.
    expect((granted.at(-1) as number) - (granted[0] as number)).toBe(5 * 60_000);
  });

  it('when callers arrive at uneven times, then no 60 s window ever holds more than the budget', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 10, clock });
    const granted: number[] = [];
    let seed = 7;
    for (let i = 0; i < 200; i += 1) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      clock.advance(seed % 9_000); // 0–9 s between arrivals, often landing just before a window frees
      await budget.acquire();
      granted.push(clock.now());
    }
    expect(maxInAnyWindow(granted, 60_000)).toBeLessThanOrEqual(10);
    expect(maxInAnyWindow(granted, 60_000)).toBe(10); // and the budget is used, not wasted
  });

  it('when a request is settled after its answer arrives, then its slot frees a window after the answer, not after the grant', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 1, clock });
    const t0 = clock.now();
    const settle = await budget.acquire();
    clock.advance(5_000); // the request spent 5 s in flight; the server may have counted it at any point
    settle();
    let grantedAt = -1;
    const next = budget.acquire().then(() => {
      grantedAt = clock.now();
    });
    clock.advance(59_000);
    await Promise.resolve();
    expect(grantedAt).toBe(-1); // a window after the grant is not enough
    clock.advance(1_000);
    await next;
    expect(grantedAt).toBe(t0 + 65_000); // exactly a window after the answer
  });

  it('when callers queue, then they are served first come, first served', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 2, clock });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 7 }, (_, i) => budget.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('when grants are spread out, then none waits', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 3, clock });
    for (let i = 0; i < 9; i += 1) {
      await budget.acquire();
      clock.advance(20_000);
    }
    expect(clock.sleeps).toEqual([]);
  });

  it('when paused until a time, then no caller is served before it', async () => {
    const clock = createVirtualClock();
    const budget = createRateBudget({ requestsPerMinute: 100, clock });
    const start = clock.now();
    budget.pauseUntil(start + 30_000);
    const granted: number[] = [];
    await Promise.all([1, 2, 3].map(() => budget.acquire().then(() => granted.push(clock.now()))));
    expect(Math.min(...granted)).toBeGreaterThanOrEqual(start + 30_000);
  });

  it('when two budgets share one ledger (a restart, or two replicas), then together they never exceed the limit, and the later one continues the earlier one\'s window', async () => {
    const clock = createVirtualClock();
    const ledger = createMemoryRateLedger();
    const earlier = createRateBudget({ requestsPerMinute: 5, clock, ledger, name: 'account' });
    const granted: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      (await earlier.acquire())();
      granted.push(clock.now());
      clock.advance(1_000);
    }
    const later = createRateBudget({ requestsPerMinute: 5, clock, ledger, name: 'account' });
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? later : earlier).acquire().then((settle) => {
      settle();
      granted.push(clock.now());
    })));
    expect(maxInAnyWindow(granted, 60_000)).toBe(5);
    expect(granted[5]).toBe((granted[0] as number) + 60_000);
    expect((await later.usage()).used).toBe(5);
    // Another budget name on the same ledger is another window.
    const davis = createRateBudget({ requestsPerMinute: 1, clock, ledger, name: 'davis' });
    const before = clock.now();
    await davis.acquire();
    expect(clock.now()).toBe(before);
  });

  it('when a grant is never settled (its process died awaiting the answer), then it counts from the latest its answer could come', async () => {
    const clock = createVirtualClock();
    const ledger = createMemoryRateLedger();
    const t0 = clock.now();
    await createRateBudget({ requestsPerMinute: 1, clock, ledger }).acquire(30_000);
    const restarted = createRateBudget({ requestsPerMinute: 1, clock, ledger });
    await restarted.acquire();
    expect(clock.now()).toBe(t0 + 30_000 + 60_000);
  });

  it('when one process is paused by a 429, then every budget on the ledger waits for the pause', async () => {
    const clock = createVirtualClock();
    const ledger = createMemoryRateLedger();
    const start = clock.now();
    createRateBudget({ clock, ledger }).pauseUntil(start + 20_000);
    const other = createRateBudget({ clock, ledger });
    await Promise.resolve();
    expect((await other.usage()).pausedUntil).toBe(start + 20_000);
    await other.acquire();
    expect(clock.now()).toBe(start + 20_000);
  });

  it('when the options are wrong, then the factory throws TypeError', () => {
    expect(() => createRateBudget({ requestsPerMinute: 0 })).toThrow(TypeError);
    expect(() => createRateBudget({ requestsPerMinute: 1.5 })).toThrow(TypeError);
    expect(() => createRateBudget({ windowMs: -1 })).toThrow(TypeError);
    // @ts-expect-error misuse on purpose
    expect(() => createRateBudget({ clock: {} })).toThrow(TypeError);
  });
});
