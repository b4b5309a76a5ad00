// PostgreSQL rate ledger (migration 7): the SQLite ledger's tables. A take is one transaction that first
// locks the budget's row (an upsert), so replicas taking from one budget at once queue on it and each
// counts what the one before it recorded: of replicas racing for the last slot, one wins.
import { freeingRank, pausedOf, refusedUntil, type RateLedgerEngine } from '../rate-ledger-port.js';
import type { AsyncEngine } from '../engine-steps.js';
import type { Database } from './postgres-database.js';

export function createPostgresRateLedger(db: Database, schema: string): AsyncEngine<RateLedgerEngine> {
  const budgets = `${schema}.rate_budgets`;
  const requests = `${schema}.rate_requests`;
  const s = {
    lock: {
      name: 'rate_lock',
      text: `INSERT INTO ${budgets} AS b (budget, paused_until) VALUES ($1, 0)
        ON CONFLICT (budget) DO UPDATE SET paused_until = b.paused_until RETURNING paused_until`,
    },
    forget: { name: 'rate_forget', text: `DELETE FROM ${requests} WHERE budget = $1 AND at <= $2` },
    counting: { name: 'rate_counting', text: `SELECT count(*) AS n FROM ${requests} WHERE budget = $1 AND at > $2` },
    kth: { name: 'rate_kth', text: `SELECT at FROM ${requests} WHERE budget = $1 AND at > $2 ORDER BY at LIMIT 1 OFFSET $3` },
    record: { name: 'rate_record', text: `INSERT INTO ${requests} (budget, at) VALUES ($1, $2) RETURNING slot` },
    settle: { name: 'rate_settle', text: `UPDATE ${requests} SET at = $3 WHERE budget = $1 AND slot = $2` },
    pause: {
      name: 'rate_pause',
      text: `INSERT INTO ${budgets} AS b (budget, paused_until) VALUES ($1, $2)
        ON CONFLICT (budget) DO UPDATE SET paused_until = greatest(b.paused_until, excluded.paused_until)`,
    },
    usage: {
      name: 'rate_usage',
      text: `SELECT (SELECT count(*) FROM ${requests} WHERE budget = $1 AND at > $2) AS n,
        (SELECT paused_until FROM ${budgets} WHERE budget = $1) AS paused_until`,
    },
  };
  return {
    take(budget, { now, windowMs }, limit, holdUntil) {
      const after = now - windowMs;
      return db.transaction(async (sql) => {
        const [locked] = await sql.rows<{ paused_until: string }>(s.lock, [budget]);
        const pausedUntil = Number(locked?.paused_until ?? 0);
        await sql.run(s.forget, [budget, after]);
        const [counted] = await sql.rows<{ n: string }>(s.counting, [budget, after]);
        const rank = freeingRank(Number(counted?.n ?? 0), limit);
        if (pausedUntil <= now && rank === null) {
          const [recorded] = await sql.rows<{ slot: string }>(s.record, [budget, holdUntil]);
          return { granted: true as const, slot: Number(recorded?.slot) };
        }
        const [kth] = rank === null ? [] : await sql.rows<{ at: string }>(s.kth, [budget, after, rank]);
        return { granted: false as const, freeAt: refusedUntil(pausedUntil, kth === undefined ? null : Number(kth.at), windowMs) };
      });
    },
    async settle(budget, slot, at) {
      await db.run(s.settle, [budget, slot, at]);
    },
    async pause(budget, until) {
      await db.run(s.pause, [budget, until]);
    },
    async usage(budget, { now, windowMs }) {
      const [row] = await db.rows<{ n: string; paused_until: string | null }>(s.usage, [budget, now - windowMs]);
      return { used: Number(row?.n ?? 0), pausedUntil: pausedOf(Number(row?.paused_until ?? 0), now) };
    },
  };
}
