// Builds the ChangeContext every store mutation carries: its time, the SCIM request behind it, and
// when the sync work it enqueues becomes due (now + the coalescing window).
import type { ChangeContext } from '../ports/store.js';

/** Who asked for a change: the SCIM request id (null for the bridge's own changes). */
export interface ChangeOrigin {
  readonly requestId: string | null;
}

export function changeContext(now: Date, origin: ChangeOrigin, syncDelayMs: number): ChangeContext {
  return {
    at: now.toISOString(),
    requestId: origin.requestId,
    syncDueAt: new Date(now.getTime() + syncDelayMs).toISOString(),
  };
}
