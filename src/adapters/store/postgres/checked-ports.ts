// The shared port adapters (sync-queue-port.ts, applied-state-port.ts, audit-log-port.ts, …) over an
// asynchronous engine: each call first runs through the shared adapter over a recording engine, so
// misuse throws the same TypeError and the engine receives exactly the normalised arguments it would in
// the SQLite engine; the recorded engine call is then made, asynchronously.
import type { AsyncEngine } from '../engine-steps.js';
import type { StoreRunner } from '../sync-queue-port.js';

type AnyMethod = (...args: readonly unknown[]) => unknown;

interface Recorded {
  readonly method: string;
  readonly args: readonly unknown[];
}

/**
 * The port `adapter` builds, with each call checked by the shared adapter and then run on `engine`.
 * `open` is the engine's closed check (it runs after the input checks, as in the other engines).
 * A call the adapter answers without the engine (an empty batch) returns the adapter's answer.
 */
export function checkedPort<E extends object, P extends object>(
  adapter: (engine: E, run: StoreRunner) => P,
  engine: AsyncEngine<E>,
  open: () => void,
): P {
  const methods = Object.keys(engine);
  const run: StoreRunner = (work) => {
    open();
    return work();
  };

  /** The adapter over an engine that only records which method it was asked to call, and with what. */
  function probe(slot: { recorded?: Recorded }): Record<string, AnyMethod> {
    const recorder: Record<string, AnyMethod> = {};
    for (const method of methods) {
      recorder[method] = (...args) => {
        slot.recorded = { method, args };
        return undefined;
      };
    }
    return adapter(recorder as unknown as E, run) as unknown as Record<string, AnyMethod>;
  }

  const target = engine as unknown as Record<string, AnyMethod>;
  const port: Record<string, AnyMethod> = {};
  for (const name of Object.keys(probe({}))) {
    port[name] = async (...args) => {
      const slot: { recorded?: Recorded } = {};
      const answer = await probe(slot)[name]?.(...args);
      const { recorded } = slot;
      if (recorded === undefined) return answer;
      return target[recorded.method]?.(...recorded.args);
    };
  }
  return port as unknown as P;
}
