// Readiness (/readyz and the scim_bridge_readiness gauges): the bridge can do its work when the
// store answers, a Dynatrace access token is obtainable, and the mapping in force has been checked
// against Dynatrace. Each check is bounded by a timeout, so a hung store or token endpoint cannot
// hang a probe, and probes that arrive together share one store ping (the token provider shares its
// one token request itself). A probe calls Dynatrace only through the token provider's cache — and,
// until the mapping's check has completed, by starting that check at most once per `mappingRetryMs`.
// With `requiresDynatrace: false` (READINESS_REQUIRES_DYNATRACE=false) every check still runs and is
// reported, but the store alone decides `ready`. Once shutdown begins (drain()) the bridge is not
// ready, whatever the checks say, so load balancers stop routing to it.
import { isUpstreamError } from '../ports/upstream-error.js';

/**
 * - `ok`
 * - `unavailable`    the check failed (the store refused, the token endpoint answered 5xx or not at all, …)
 * - `timeout`        no answer within the check's timeout
 * - `misconfigured`  the token endpoint refused the client credentials, scope or account: an operator must act
 * - `pending`        the mapping's check against Dynatrace has not completed yet
 */
export type CheckState = 'ok' | 'unavailable' | 'timeout' | 'misconfigured' | 'pending';

export const READINESS_CHECKS = ['store', 'dynatrace', 'mapping'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface ReadinessReport {
  readonly ready: boolean;
  /** Set once shutdown has begun: then never ready. */
  readonly draining?: true;
  readonly checks: Readonly<Record<ReadinessCheck, CheckState>>;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  /** Shutdown has begun: every report from now on is not ready, and says it is draining. */
  drain(): void;
}

export interface ReadinessOptions {
  /** Resolves when the store answers (Store.ping). */
  readonly pingStore: () => Promise<void>;
  /** Resolves with an access token: the token provider's cached one, or one fetch shared by all callers. */
  readonly dynatraceToken: () => Promise<unknown>;
  readonly mapping: {
    /** True once the mapping in force has been checked against Dynatrace (its problems, if any, are known). */
    checked(): boolean;
    /** Checks the mapping in force against Dynatrace. */
    check(): Promise<unknown>;
  };
  /** Whether `ready` also needs the dynatrace and mapping checks, or the store's alone; default true. */
  readonly requiresDynatrace?: boolean;
  /** Longest wait for each check; default READINESS_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Least time between two mapping checks a probe starts; default MAPPING_RETRY_MS. */
  readonly mappingRetryMs?: number;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
}

/** Below Kubernetes' default probe timeout (1 s): the checks run side by side. */
const READINESS_TIMEOUT_MS = 750;
const MAPPING_RETRY_MS = 15_000;

export function createReadiness(options: ReadinessOptions): Readiness {
  const { mapping } = options;
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const mappingRetryMs = options.mappingRetryMs ?? MAPPING_RETRY_MS;
  const requiresDynatrace = options.requiresDynatrace ?? true;
  const now = options.now ?? (() => performance.now());
  const storePing = singleFlight(options.pingStore);
  let mappingRun: Promise<void> | null = null;
  let mappingStartedAt: number | null = null;
  let mappingFailed = false;
  let draining = false;

  async function bounded(work: () => Promise<unknown>): Promise<CheckState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckState>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      return await Promise.race([
        Promise.resolve()
          .then(work)
          .then((): CheckState => 'ok', failureState),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function storeState(): Promise<CheckState> {
    const state = await bounded(storePing.run);
    // A ping that never settles must not hold back the next probe's.
    if (state === 'timeout') storePing.forget();
    return state;
  }

  async function mappingState(): Promise<CheckState> {
    if (mapping.checked()) return 'ok';
    const at = now();
    if (mappingRun === null && (mappingStartedAt === null || at - mappingStartedAt >= mappingRetryMs)) {
      mappingStartedAt = at;
      mappingRun = Promise.resolve()
        .then(() => mapping.check())
        .then(
          () => {
            mappingFailed = false;
          },
          () => {
            mappingFailed = true;
          },
        )
        .finally(() => {
          mappingRun = null;
        });
    }
    const run = mappingRun;
    if (run !== null) await bounded(() => run);
    if (mapping.checked()) return 'ok';
    return mappingFailed ? 'unavailable' : 'pending';
  }

  return {
    async check() {
      const [store, dynatrace, mappingCheck] = await Promise.all([storeState(), bounded(options.dynatraceToken), mappingState()]);
      const checks = { store, dynatrace, mapping: mappingCheck };
      const deciding = requiresDynatrace ? Object.values(checks) : [store];
      if (draining) return { ready: false, draining: true, checks };
      return { ready: deciding.every((state) => state === 'ok'), checks };
    },
    drain() {
      draining = true;
    },
  };
}

function failureState(error: unknown): CheckState {
  return isUpstreamError(error) && error.code === 'misconfigured' ? 'misconfigured' : 'unavailable';
}

/** `work`, but callers that arrive while it runs share its result instead of starting another. */
function singleFlight(work: () => Promise<unknown>): { run: () => Promise<unknown>; forget: () => void } {
  let running: Promise<unknown> | null = null;
  return {
    run() {
      if (running !== null) return running;
      const current = Promise.resolve()
        .then(work)
        .finally(() => {
          if (running === current) running = null;
        });
      running = current;
      return current;
    },
    /** The next run starts afresh, whether or not this one ever settles. */
    forget() {
      running = null;
    },
  };
}
