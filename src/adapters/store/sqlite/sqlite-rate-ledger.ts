// SQLite rate ledger (migration 7): a budget's pause in `rate_budgets`, its requests in `rate_requests`
// (slot, budget, epoch-ms time). A take runs in the port's immediate transaction, which holds SQLite's
// write lock: of processes racing for the last slot, one wins.
import type Database from 'better-sqlite3';
import { freeingRank, pausedOf, refusedUntil, type RateLedgerEngine } from '../rate-ledger-port.js';

export function createSqliteRateLedger(db: Database.Database): RateLedgerEngine {
  const s = {
    forget: db.prepare<[string, number]>('DELETE FROM rate_requests WHERE budget = ? AND at <= ?'),
    pausedUntil: db.prepare<[string], number>('SELECT paused_until FROM rate_budgets WHERE budget = ?').pluck(),
    counting: db.prepare<[string, number], number>('SELECT count(*) FROM rate_requests WHERE budget = ? AND at > ?').pluck(),
    kth: db.prepare<[string, number, number], number>('SELECT at FROM rate_requests WHERE budget = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?').pluck(),
    record: db.prepare<[string, number]>('INSERT INTO rate_requests (budget, at) VALUES (?, ?)'),
    settle: db.prepare<[number, string, number]>('UPDATE rate_requests SET at = ? WHERE budget = ? AND slot = ?'),
    pause: db.prepare<[string, number]>(
      `INSERT INTO rate_budgets (budget, paused_until) VALUES (?, ?)
       ON CONFLICT (budget) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)`,
    ),
  };
  return {
    take(budget, { now, windowMs }, limit, holdUntil) {
      const after = now - windowMs;
      s.forget.run(budget, after);
      const pausedUntil = s.pausedUntil.get(budget) ?? 0;
      const rank = freeingRank(s.counting.get(budget, after) ?? 0, limit);
      if (pausedUntil <= now && rank === null) return { granted: true, slot: Number(s.record.run(budget, holdUntil).lastInsertRowid) };
      const kth = rank === null ? null : (s.kth.get(budget, after, rank) ?? null);
      return { granted: false, freeAt: refusedUntil(pausedUntil, kth, windowMs) };
    },
    settle(budget, slot, at) {
      s.settle.run(at, budget, slot);
    },
    pause(budget, until) {
      s.pause.run(budget, until);
    },
    usage(budget, { now, windowMs }) {
      return { used: s.counting.get(budget, now - windowMs) ?? 0, pausedUntil: pausedOf(s.pausedUntil.get(budget) ?? 0, now) };
    },
  };
}
