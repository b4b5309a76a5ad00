// The in-memory rate ledger: per budget its pause and a Map of its requests' times. What a rate budget
// uses when no store shares its window (one process alone, forgotten at exit).
import type { RateLedger } from '../../ports/rate-ledger.js';
import { freeingRank, pausedOf, rateLedgerPort, refusedUntil, type RateLedgerEngine } from './rate-ledger-port.js';

function createMemoryRateLedgerEngine(): RateLedgerEngine {
  const budgets = new Map<string, { pausedUntil: number; requests: Map<number, number> }>();
  let nextSlot = 1;
  const budgetOf = (name: string) => {
    let budget = budgets.get(name);
    if (budget === undefined) {
      budget = { pausedUntil: 0, requests: new Map() };
      budgets.set(name, budget);
    }
    return budget;
  };
  return {
    take(name, { now, windowMs }, limit, holdUntil) {
      const budget = budgetOf(name);
      const counting: number[] = [];
      for (const [slot, at] of budget.requests) {
        if (at > now - windowMs) counting.push(at);
        else budget.requests.delete(slot);
      }
      const rank = freeingRank(counting.length, limit);
      if (budget.pausedUntil <= now && rank === null) {
        const slot = nextSlot++;
        budget.requests.set(slot, holdUntil);
        return { granted: true, slot };
      }
      const kth = rank === null ? null : (counting.sort((a, b) => a - b)[rank] ?? null);
      return { granted: false, freeAt: refusedUntil(budget.pausedUntil, kth, windowMs) };
    },
    settle(name, slot, at) {
      const requests = budgets.get(name)?.requests;
      if (requests?.has(slot) === true) requests.set(slot, at);
    },
    pause(name, until) {
      const budget = budgetOf(name);
      budget.pausedUntil = Math.max(budget.pausedUntil, until);
    },
    usage(name, { now, windowMs }) {
      const budget = budgets.get(name);
      let used = 0;
      for (const at of budget?.requests.values() ?? []) if (at > now - windowMs) used += 1;
      return { used, pausedUntil: pausedOf(budget?.pausedUntil ?? 0, now) };
    },
  };
}

/** A ledger of this process alone. */
export function createMemoryRateLedger(): RateLedger {
  return rateLedgerPort(createMemoryRateLedgerEngine(), (work) => work());
}
