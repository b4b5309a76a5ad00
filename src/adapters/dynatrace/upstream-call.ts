// One resilient HTTP exchange with a Dynatrace service: rate budget, per-request timeout, bounded
// retries with backoff and jitter honouring Retry-After, one retry with a fresh token after a 401,
// and every failure turned into an UpstreamError that carries no secret and names its cause (DNS,
// refused, reset, timeout, TLS, or the HTTP status with Dynatrace's code and message) and the URL. On shutdown (the rate
// budget's signal aborted) the call stops waiting — for the budget or before a retry — and rejects
// with the signal's reason; a request already sent still gets its answer.
import type { Clock } from '../../ports/clock.js';
import type { UpstreamObserver, UpstreamRetryReason } from '../../ports/observer.js';
import { noopObserver } from '../../ports/observer.js';
import type { UpstreamErrorCode, UpstreamService } from '../../ports/upstream-error.js';
import { UpstreamError } from '../../ports/upstream-error.js';
import { readErrorCode, readErrorMessage, redactSecrets } from './error-body.js';
import type { RateBudget } from './rate-budget.js';
import { parseRetryAfter } from './retry-after.js';
import { httpFailure, networkFailure } from './upstream-failure.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs, RETRYABLE_STATUSES, RETRYABLE_STATUSES_UNSAFE } from './retry-policy.js';

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface UpstreamRequest {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly json?: unknown;
  readonly form?: URLSearchParams;
  /** Default: every method but POST. Non-idempotent calls are retried only on 429/503 and refused connections. */
  readonly idempotent?: boolean;
  /** Strings to scrub from anything kept in an error (e.g. the client secret). */
  readonly secrets?: readonly string[];
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly attempts: number;
}

/** Supplies the Authorization header and learns when upstream rejected it (401). */
export interface Authorizer {
  /** False for static credentials (an API token): a 401 is then final, not retried. */
  readonly refreshable: boolean;
  header(): Promise<string>;
  /** Called with the header value upstream answered 401 to; the next header() should be fresh. */
  rejected(headerValue: string): void;
}

export interface UpstreamCallerOptions {
  readonly service: UpstreamService;
  readonly fetch: FetchFn;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly rateBudget: RateBudget | null;
  readonly authorizer: Authorizer | null;
  /** Overrides the status → code mapping (the OAuth endpoint treats 400/404 as misconfiguration). */
  readonly codeForStatus?: (status: number) => UpstreamErrorCode;
  /** Told of every attempt, retry and rate-budget wait (metrics); default: nobody. */
  readonly observer?: UpstreamObserver;
}

export type UpstreamCaller = (request: UpstreamRequest) => Promise<UpstreamResponse>;

export function defaultCodeForStatus(status: number): UpstreamErrorCode {
  if (status === 401 || status === 403) return 'misconfigured';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'rejected';
  return 'misconfigured'; // 3xx: redirects are not followed (a token must not travel to another host): wrong base URL
}

const CONNECT_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** True when the request provably never reached the server, so even a POST may be repeated. */
function neverSent(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_ERROR_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export function createUpstreamCaller(options: UpstreamCallerOptions): UpstreamCaller {
  const { service, clock, retry, rateBudget, authorizer } = options;
  const codeForStatus = options.codeForStatus ?? defaultCodeForStatus;
  const observer = options.observer ?? noopObserver;
  const stopSignal = rateBudget?.signal ?? null;

  /** Waits before a retry; abandoned (rejecting with the reason) once the process is shutting down. */
  function pause(ms: number): Promise<void> {
    if (stopSignal === null) return clock.sleep(ms);
    if (stopSignal.aborted) return Promise.reject(stopSignal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const abandon = (): void => reject(stopSignal.reason as Error);
      stopSignal.addEventListener('abort', abandon, { once: true });
      void clock.sleep(ms).then(() => {
        stopSignal.removeEventListener('abort', abandon);
        resolve();
      });
    });
  }

  async function send(request: UpstreamRequest, authorization: string | null): Promise<{ response: Response; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'dynatrace-scim-bridge' };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = request.form.toString();
    }
    if (authorization !== null) headers['authorization'] = authorization;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new RequestTimeoutError(`no complete response within ${options.timeoutMs} ms`)), options.timeoutMs);
    try {
      const response = await options.fetch(request.url, { method: request.method, headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await response.text();
      return { response, text };
    } catch (error) {
      // Prefer our own timeout reason over the fetch implementation's wrapper.
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  return async function call(request: UpstreamRequest): Promise<UpstreamResponse> {
    const idempotent = request.idempotent ?? request.method !== 'POST';
    const retryable = idempotent ? RETRYABLE_STATUSES : RETRYABLE_STATUSES_UNSAFE;
    let sent = 0;
    let retriesLeft = retry.maxAttempts - 1;
    let retryNumber = 0;
    let refreshedAfter401 = false;

    const fail = (init: { code: UpstreamErrorCode; status: number | null; retryAfterMs?: number | null; text?: string; cause?: unknown; secrets: readonly string[] }): never => {
      const message = init.text === undefined ? null : readErrorMessage(init.text);
      const upstreamMessage = message === null ? null : redactSecrets(message, init.secrets);
      const failure = init.status === null
        ? networkFailure(request.url, init.cause)
        : httpFailure(request.url, init.status, init.text === undefined ? null : readErrorCode(init.text), upstreamMessage);
      throw new UpstreamError({
        service,
        operation: request.operation,
        code: init.code,
        status: init.status,
        retryAfterMs: init.retryAfterMs ?? null,
        attempts: sent,
        upstreamMessage,
        failure,
        cause: init.cause,
      });
    };

    const { operation } = request;
    const retrying = (reason: UpstreamRetryReason): void => observer.upstreamRetry({ service, operation, reason });

    for (;;) {
      const authorization = authorizer === null ? null : await authorizer.header();
      const secrets = [...(request.secrets ?? [])];
      if (authorization !== null) secrets.push(authorization, authorization.replace(/^\S+\s+/, ''));

      let outcome: { response: Response; text: string };
      sent += 1;
      // The budget slot is taken once the token is in hand, and counts from when the answer came
      // back: the server counts the request somewhere in between, so no window ever holds more.
      const waitStarted = performance.now();
      const settled = rateBudget === null ? null : await rateBudget.acquire(options.timeoutMs);
      const sentAt = performance.now();
      if (rateBudget !== null) observer.rateBudgetWait({ service, seconds: (sentAt - waitStarted) / 1000 });
      try {
        outcome = await send(request, authorization);
      } catch (error) {
        const failure = error instanceof RequestTimeoutError ? 'timeout' : 'network_error';
        observer.upstreamAttempt({ service, operation, status: failure, seconds: (performance.now() - sentAt) / 1000 });
        observer.upstreamFailure({ service, operation, failure: networkFailure(request.url, error) });
        if (retriesLeft > 0 && (idempotent || neverSent(error))) {
          retriesLeft -= 1;
          retryNumber += 1;
          retrying(failure);
          await pause(backoffDelayMs(retry, retryNumber, options.random));
          continue;
        }
        return fail({ code: 'unavailable', status: null, cause: error, secrets });
      } finally {
        settled?.();
      }

      const { response, text } = outcome;
      const status = response.status;
      observer.upstreamAttempt({ service, operation, status, seconds: (performance.now() - sentAt) / 1000 });
      if (status >= 200 && status < 300) return { status, headers: response.headers, text, attempts: sent };
      if (status >= 500 || status === 401 || status === 403) {
        const message = readErrorMessage(text);
        observer.upstreamFailure({ service, operation, failure: httpFailure(request.url, status, readErrorCode(text), message === null ? null : redactSecrets(message, secrets)) });
      }

      if (status === 401 && authorizer !== null && authorizer.refreshable && authorization !== null && !refreshedAfter401) {
        refreshedAfter401 = true;
        authorizer.rejected(authorization);
        retrying('token_refresh');
        continue;
      }

      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
      if (status === 429 && retryAfterMs !== null && rateBudget !== null) {
        rateBudget.pauseUntil(clock.now() + Math.min(retryAfterMs, retry.maxRetryAfterMs));
      }
      if (retryable.has(status) && retriesLeft > 0 && (retryAfterMs === null || retryAfterMs <= retry.maxRetryAfterMs)) {
        retriesLeft -= 1;
        retryNumber += 1;
        const delay = retryAfterMs ?? (status === 429 ? retry.throttledDelayMs : backoffDelayMs(retry, retryNumber, options.random));
        retrying(status === 429 ? 'throttled' : 'server_error');
        await pause(delay);
        continue;
      }
      return fail({ code: codeForStatus(status), status, retryAfterMs, text, secrets });
    }
  };
}

/** Parses a 2xx body as JSON; an empty body is `undefined`. Unparsable → UpstreamError `invalid_response`. */
export function readJson(service: UpstreamService, operation: string, response: UpstreamResponse): unknown {
  if (response.text.trim() === '') return undefined;
  try {
    return JSON.parse(response.text) as unknown;
  } catch {
    // Not the SyntaxError itself: its message quotes the body, which may hold a token.
    throw new UpstreamError({ service, operation, code: 'invalid_response', status: response.status, attempts: response.attempts, cause: new Error('response body is not JSON') });
  }
}
