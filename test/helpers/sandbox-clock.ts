// A virtual clock for tests of the Dynatrace clients and sandbox: `sleep` never waits in real time;
// time jumps to the next sleeper only while no HTTP request is in flight (fetches made through
// `trackFetch`), so a request is received at the virtual time it was sent.
import type { Clock } from '../../src/ports/clock.js';
import type { FetchFn } from '../../src/adapters/dynatrace/index.js';

export interface VirtualClock extends Clock {
  /** Every sleep requested, in ms, in order. */
  readonly sleeps: number[];
  /** Moves time forward now (timers then due fire on the next turn). */
  advance(ms: number): void;
  /** Wraps a fetch so time stands still while it is in flight. */
  trackFetch(fetchFn?: FetchFn): FetchFn;
}

export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0);

export function createVirtualClock(start: number = VIRTUAL_EPOCH): VirtualClock {
  let t = start;
  let seq = 0;
  let inFlight = 0;
  let scheduled = false;
  const timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  const sleeps: number[] = [];

  function tick(): void {
    scheduled = false;
    if (timers.length === 0 || inFlight > 0) return; // rescheduled when the last fetch settles
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (next === undefined) return;
    t = Math.max(t, next.at);
    next.resolve();
    schedule();
  }

  function schedule(): void {
    if (scheduled || timers.length === 0) return;
    scheduled = true;
    setImmediate(tick);
  }

  return {
    sleeps,
    now: () => t,
    sleep(ms: number): Promise<void> {
      sleeps.push(ms);
      return new Promise<void>((resolve) => {
        timers.push({ at: t + Math.max(0, ms), seq: seq++, resolve });
        schedule();
      });
    },
    advance(ms: number): void {
      t += ms;
      schedule();
    },
    trackFetch(fetchFn: FetchFn = (input, init) => fetch(input, init)): FetchFn {
      return async (input, init) => {
        inFlight += 1;
        try {
          return await fetchFn(input, init);
        } finally {
          inFlight -= 1;
          if (inFlight === 0) schedule();
        }
      };
    },
  };
}

/** A `random` that returns the scripted values first, then `fallback`. */
export function scriptedRandom(values: readonly number[], fallback = 0.5): () => number {
  let i = 0;
  return () => (i < values.length ? (values[i++] as number) : fallback);
}
