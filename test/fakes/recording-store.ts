// A Store wrapper that records every port call (name and arguments) and forwards it, so tests can
// assert what the core asked of the store — e.g. that a member PATCH never reads the member list.
import type { Store } from '../../src/ports/store.js';

export interface StoreCall {
  readonly method: keyof Store;
  readonly args: readonly unknown[];
}

export function recordingStore(inner: Store): { store: Store; calls: StoreCall[] } {
  const calls: StoreCall[] = [];
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: property as keyof Store, args });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}
