// The one error type the Dynatrace adapters throw (Account Management, its OAuth token endpoint,
// Davis Assistant). Its closed `code` lets the core pick a ProvisioningError code without parsing
// messages; it never carries a token, a client secret or a raw upstream body.

/** Which upstream failed. */
export type UpstreamService = 'account-management' | 'oauth' | 'davis-assistant';

/**
 * Closed set of failure kinds, decided by the adapter from the HTTP status (after its own retries):
 * - `not_found`        404: the addressed user, group, policy, level or permission does not exist.
 * - `conflict`         409: the resource already exists (e.g. a duplicate group name).
 * - `rejected`         any other 4xx (400, 405, 413, 422 …): the request itself was refused; do not retry as is.
 * - `throttled`        429 after the retries allowed (or a `Retry-After` longer than the adapter waits).
 * - `unavailable`      5xx, timeout or network failure (`status` null) after the retries allowed.
 * - `misconfigured`    401 (after one retry with a fresh token) or 403 from an API; 400/401/403/404 from the
 *                      OAuth token endpoint (bad client id/secret, scope, resource or token URL); a Davis
 *                      Assistant call while no token is configured. An operator has to act.
 * - `invalid_response` a 2xx whose body is not what the API documents (not JSON, required field missing).
 */
export type UpstreamErrorCode =
  | 'not_found'
  | 'conflict'
  | 'rejected'
  | 'throttled'
  | 'unavailable'
  | 'misconfigured'
  | 'invalid_response';

/**
 * Why an attempt got no usable answer, for operators: where it went and what happened. `url` is the
 * request's URL without its query (a token or secret never travels in a URL); `kind`:
 * - `dns`                 the host name did not resolve
 * - `connection_refused`  nothing listens there
 * - `connection_reset`    the connection broke before the answer was complete
 * - `timeout`             no complete answer in time (the request's timeout, or the connect timeout)
 * - `tls`                 the TLS handshake failed; `description` says which certificate problem
 * - `network`             another failure below HTTP
 * - `http`                an answer with an error status: `status`, and Dynatrace's own `errorCode` and message when it sent them
 */
export interface UpstreamFailure {
  readonly url: string;
  readonly kind: 'dns' | 'connection_refused' | 'connection_reset' | 'timeout' | 'tls' | 'network' | 'http';
  /** The HTTP status (kind `http`), else null. */
  readonly status: number | null;
  /** Dynatrace's error code from the body (ErrorDto `code`, `error.code`), when it gave one. */
  readonly errorCode: string | null;
  /** One line for a person, e.g. `certificate has expired (CERT_HAS_EXPIRED)` or `HTTP 403: Forbidden`; no secret. */
  readonly description: string;
}

export interface UpstreamErrorInit {
  readonly service: UpstreamService;
  /** The adapter operation, e.g. `getUser`, `replaceUserGroups`, `token`. */
  readonly operation: string;
  readonly code: UpstreamErrorCode;
  /** Last HTTP status seen; null for a timeout, a network failure or a call never sent. */
  readonly status: number | null;
  /** How long upstream asked us to wait (`Retry-After`), in ms; null when it did not say. */
  readonly retryAfterMs?: number | null;
  /** How many HTTP attempts were made (0 when the call was never sent). */
  readonly attempts?: number;
  /** The upstream's own error text, parsed defensively and with secrets removed; may name an email. */
  readonly upstreamMessage?: string | null;
  /** Why the last attempt failed; null when none was sent or the answer itself was the problem. */
  readonly failure?: UpstreamFailure | null;
  readonly cause?: unknown;
}

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly service: UpstreamService;
  readonly operation: string;
  readonly code: UpstreamErrorCode;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly attempts: number;
  readonly upstreamMessage: string | null;
  readonly failure: UpstreamFailure | null;

  constructor(init: UpstreamErrorInit) {
    const what = init.status === null ? 'no response' : `HTTP ${init.status}`;
    super(`${init.service} ${init.operation} failed (${init.code}, ${what})`, init.cause === undefined ? undefined : { cause: init.cause });
    this.service = init.service;
    this.operation = init.operation;
    this.code = init.code;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.attempts = init.attempts ?? 0;
    this.upstreamMessage = init.upstreamMessage ?? null;
    this.failure = init.failure ?? null;
  }

  /** True for `throttled` and `unavailable`: the same call may succeed later. */
  get retryable(): boolean {
    return this.code === 'throttled' || this.code === 'unavailable';
  }
}

/** Narrowing helper that also works across module copies (checks `name`, not only the prototype). */
export function isUpstreamError(value: unknown): value is UpstreamError {
  return value instanceof UpstreamError || (value instanceof Error && value.name === 'UpstreamError' && 'code' in value && 'service' in value);
}
