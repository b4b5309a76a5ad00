// Load generation for the bench: autocannon runs with a per-response hook (latency, status), and a
// small fetch client for the unmeasured set-up and verification requests.
import autocannon from 'autocannon';

export interface CannonRun {
  readonly result: autocannon.Result;
  /** Latency of every response, in ms, in arrival order. */
  readonly latenciesMs: number[];
  readonly statusCounts: Record<string, number>;
  /** Wall-clock seconds from start to the last response. */
  readonly elapsedS: number;
  /** Responses with a 2xx status. */
  readonly ok: number;
}

export interface CannonOptions extends autocannon.Options {
  /** Called for each response, with its status and the wall-clock ms since the start. */
  readonly onResponse?: (status: number, sinceStartMs: number) => void;
}

export function cannon(options: CannonOptions): Promise<CannonRun> {
  const { onResponse, ...autocannonOptions } = options;
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let last = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(autocannonOptions, (error, result) => {
      if (error) return reject(error);
      resolve({ result, latenciesMs, statusCounts, elapsedS: (last - started) / 1000, ok });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      last = performance.now();
      latenciesMs.push(responseTime);
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) ok++;
      onResponse?.(statusCode, last - started);
    });
  });
}

export interface Distribution {
  readonly count: number;
  readonly min: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of a sample. */
export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, min: NaN, median: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    median: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly body: any;
  readonly ms: number;
}

export interface Api {
  call(method: string, path: string, body?: string): Promise<ApiResponse>;
}

/** A fetch client for the set-up and checks (not what is measured); every call has a deadline. */
export function createApi(origin: string, token: string, timeoutMs = 120_000): Api {
  return {
    async call(method, path, body) {
      const started = performance.now();
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: response.status, body: parsed, ms };
    },
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
