// Whether this process reaches each Dynatrace service, as its attempts found: the last usable answer,
// and the last attempt that got none (no HTTP answer, a 5xx, a 401 or a 403) with its URL and cause.
// Told by the Dynatrace clients through the observer; read by /admin/status.
import type { UpstreamObserver } from '../ports/observer.js';
import type { UpstreamFailure, UpstreamService } from '../ports/upstream-error.js';

export interface UpstreamServiceHealth {
  /** Whether the latest attempt got a usable answer; null before the first attempt. */
  readonly reachable: boolean | null;
  /** ISO time of the latest usable answer, or null. */
  readonly lastAnswerAt: string | null;
  /** The latest attempt that got none, or null. */
  readonly lastFailure: (UpstreamFailure & { readonly at: string; readonly operation: string }) | null;
}

export type UpstreamHealthReport = Readonly<Record<UpstreamService, UpstreamServiceHealth>>;

export interface UpstreamHealth extends Pick<UpstreamObserver, 'upstreamAttempt' | 'upstreamFailure'> {
  report(): UpstreamHealthReport;
}

const SERVICES: readonly UpstreamService[] = ['account-management', 'oauth', 'davis-assistant'];

export function createUpstreamHealth(options: { readonly now: () => Date }): UpstreamHealth {
  /** Per service: the latest answer's time, and which came last (event numbers), the answer or the failure. */
  const state = new Map<UpstreamService, { lastAnswerAt: string | null; answerSeq: number; failureSeq: number; lastFailure: UpstreamServiceHealth['lastFailure'] }>(
    SERVICES.map((service) => [service, { lastAnswerAt: null, answerSeq: 0, failureSeq: 0, lastFailure: null }]),
  );
  let seq = 0;
  return {
    upstreamAttempt({ service, status }) {
      const entry = state.get(service);
      // A usable answer: any HTTP status the failure rule does not count (2xx, and 4xx such as 404 or 409).
      if (entry === undefined || typeof status !== 'number' || status >= 500 || status === 401 || status === 403) return;
      entry.lastAnswerAt = options.now().toISOString();
      entry.answerSeq = ++seq;
    },
    upstreamFailure({ service, operation, failure }) {
      const entry = state.get(service);
      if (entry === undefined) return;
      entry.failureSeq = ++seq;
      entry.lastFailure = { ...failure, at: options.now().toISOString(), operation };
    },
    report() {
      const report = {} as Record<UpstreamService, UpstreamServiceHealth>;
      for (const [service, entry] of state) {
        const reachable = entry.answerSeq === 0 && entry.failureSeq === 0 ? null : entry.answerSeq > entry.failureSeq;
        report[service] = { reachable, lastAnswerAt: entry.lastAnswerAt, lastFailure: entry.lastFailure };
      }
      return report;
    },
  };
}
