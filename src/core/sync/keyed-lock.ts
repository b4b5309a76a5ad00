// A per-key mutex: work on one Dynatrace group (its creation, above all) never runs twice at once
// in this process, whether it comes from the group's own sync or from a member's. Across replicas,
// group-lock.ts adds the store's lock on top.

export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const current = previous.catch(() => undefined).then(work);
      tails.set(key, current);
      try {
        return await current;
      } finally {
        if (tails.get(key) === current) tails.delete(key);
      }
    },
  };
}
