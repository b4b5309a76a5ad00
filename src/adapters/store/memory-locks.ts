// In-memory locks: a Map from name to its holder and expiry.
import type { LockEngine } from './lock-port.js';

export function createMemoryLocks(): LockEngine {
  const held = new Map<string, { owner: string; until: string }>();
  return {
    acquire(name, owner, now, until) {
      const current = held.get(name);
      if (current !== undefined && current.owner !== owner && current.until > now) return false;
      held.set(name, { owner, until });
      return true;
    },
    release(name, owner) {
      if (held.get(name)?.owner === owner) held.delete(name);
    },
    releaseByPrefix(prefix) {
      let released = 0;
      for (const name of [...held.keys()]) {
        if (!name.startsWith(prefix)) continue;
        held.delete(name);
        released += 1;
      }
      return released;
    },
  };
}
