// A bridge "process" (bridge-process.ts) on PostgreSQL: its own pool on a test schema, as a replica
// has, so several bridges on one schema behave like replicas sharing one database. And a store
// wrapper that lets a replica die after leasing work, without completing or releasing it.
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';
import { startBridgeProcess, type BridgeProcess, type BridgeProcessOptions } from './bridge-process.js';

export interface PostgresBridgeOptions extends Omit<BridgeProcessOptions, 'store'> {
  readonly postgres: {
    readonly connectionString: string;
    readonly schema: string;
    readonly poolSize?: number;
    readonly connectionTimeoutMs?: number;
    readonly statementTimeoutMs?: number;
  };
  /** Wraps the opened store before the bridge gets it (e.g. haltingStore). */
  readonly wrapStore?: (store: Store) => Store;
}

/** Opens a PostgreSQL store on the schema (migrating it, under the migration lock) and starts a bridge on it. */
export async function startPostgresBridge(options: PostgresBridgeOptions): Promise<BridgeProcess> {
  const { postgres, wrapStore, ...bridge } = options;
  const opened = await createPostgresStore({
    connectionString: postgres.connectionString,
    schema: postgres.schema,
    poolSize: postgres.poolSize ?? 8,
    ...(postgres.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: postgres.connectionTimeoutMs }),
    ...(postgres.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: postgres.statementTimeoutMs }),
  });
  try {
    return await startBridgeProcess({ ...bridge, store: wrapStore ? wrapStore(opened) : opened });
  } catch (error) {
    await opened.close();
    throw error;
  }
}

export interface HaltingStore {
  readonly store: Store;
  /** Items leased through this store so far. */
  readonly leased: number;
  /** From now on only leasing answers; every other call waits (as a frozen process's would) until kill(). */
  halt(): void;
  /** Waiting calls and every later one reject with StoreError 'unavailable'; close() still closes the store. */
  kill(): void;
}

/** `inner` with a switch that freezes, then kills, the replica using it: leases it took stay taken. */
export function haltingStore(inner: Store): HaltingStore {
  let halted = false;
  let killed = false;
  let leased = 0;
  const waiting: Array<(error: Error) => void> = [];
  const dead = () => new StoreError('unavailable', 'this replica was killed');
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (property === 'close') return (...args: unknown[]) => method.apply(target, args);
      return async (...args: unknown[]) => {
        if (killed) throw dead();
        if (property === 'leaseSyncWork') {
          const items = (await method.apply(target, args)) as unknown[];
          leased += items.length;
          return items;
        }
        if (halted) return new Promise((_resolve, reject) => waiting.push(reject));
        return method.apply(target, args);
      };
    },
  });
  return {
    store,
    get leased() {
      return leased;
    },
    halt() {
      halted = true;
    },
    kill() {
      killed = true;
      for (const reject of waiting.splice(0)) reject(dead());
    },
  };
}
