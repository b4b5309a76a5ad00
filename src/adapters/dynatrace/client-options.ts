// Validation shared by the Dynatrace client factories: misuse (wrong types, malformed URLs or
// account UUIDs) throws TypeError when the factory is called, never later on a request.
import type { Clock } from '../../ports/clock.js';
import { systemClock } from '../../ports/clock.js';
import type { UpstreamObserver } from '../../ports/observer.js';
import { noopObserver } from '../../ports/observer.js';
import type { RetryPolicy } from './retry-policy.js';
import { resolveRetryPolicy } from './retry-policy.js';
import type { FetchFn } from './upstream-call.js';
import { isJsonObject } from '../../ports/json.js';

/**
 * What every Dynatrace client takes beside what it calls: its per-request timeout (each client
 * names its default), retry policy, and the I/O seams (`fetch`, `clock`, `random` for jitter, and the
 * `observer` told of every attempt, retry and rate-budget wait, for metrics).
 */
export interface TransportOptions {
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetch?: FetchFn;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly observer?: UpstreamObserver;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireOptions(options: unknown, where: string): Record<string, unknown> {
  if (!isJsonObject(options)) throw new TypeError(`${where}: options must be an object`);
  return options as Record<string, unknown>;
}

export function requireString(value: unknown, where: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${where}: ${name} must be a non-empty string`);
  return value;
}

/** An http(s) URL without trailing slash; `fallback` when `value` is undefined. */
export function resolveUrl(value: unknown, fallback: string, where: string, name: string): string {
  const text = value === undefined ? fallback : requireString(value, where, name);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${where}: ${name} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${where}: ${name} must be an http(s) URL`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`${where}: ${name} must not carry credentials, a query or a fragment`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Accepts `<uuid>` or `urn:dtaccount:<uuid>` (as Terraform does); returns the lower-case UUID. */
export function resolveAccountUuid(value: unknown, where: string): string {
  const text = requireString(value, where, 'accountUuid').trim().replace(/^urn:dtaccount:/i, '');
  if (!UUID.test(text)) throw new TypeError(`${where}: accountUuid must be a UUID (optionally prefixed urn:dtaccount:)`);
  return text.toLowerCase();
}

export function resolveFetch(value: unknown, where: string): FetchFn {
  if (value === undefined) return (input, init) => fetch(input, init);
  if (typeof value !== 'function') throw new TypeError(`${where}: fetch must be a function`);
  return value as FetchFn;
}

export function resolveClock(value: unknown, where: string): Clock {
  if (value === undefined) return systemClock;
  const clock = value as Partial<Clock> | null;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function' || typeof clock.sleep !== 'function') {
    throw new TypeError(`${where}: clock must have now() and sleep(ms)`);
  }
  return clock as Clock;
}

export function resolveRandom(value: unknown, where: string): () => number {
  if (value === undefined) return Math.random;
  if (typeof value !== 'function') throw new TypeError(`${where}: random must be a function returning [0, 1)`);
  return value as () => number;
}

export function resolveMs(value: unknown, fallback: number, where: string, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`${where}: ${name} must be a positive number of milliseconds`);
  return value;
}


/** Lower-cases, trims and checks an email used as a Dynatrace key (misuse → TypeError). */
export function normaliseEmail(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new TypeError(`${where}: email must be a string`);
  const email = value.trim().toLowerCase();
  if (email.length < 3 || !email.includes('@') || /\s/.test(email)) throw new TypeError(`${where}: email must look like an email address`);
  return email;
}

export function requireStringArray(value: unknown, where: string, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new TypeError(`${where}: ${name} must be an array of non-empty strings`);
  }
  return [...(value as string[])];
}

function resolveObserver(value: unknown, where: string): UpstreamObserver {
  if (value === undefined) return noopObserver;
  const observer = value as Partial<UpstreamObserver> | null;
  if (
    typeof observer !== 'object' || observer === null || typeof observer.upstreamAttempt !== 'function' || typeof observer.upstreamRetry !== 'function' ||
    typeof observer.rateBudgetWait !== 'function' || typeof observer.upstreamFailure !== 'function'
  ) {
    throw new TypeError(`${where}: observer must have upstreamAttempt(), upstreamRetry(), rateBudgetWait() and upstreamFailure()`);
  }
  return observer as UpstreamObserver;
}

/** The I/O seams every upstream caller takes: `fetch`, `random` (jitter), `timeoutMs`, `retry` and `observer` (metrics). */
export function resolveCallSeams(
  o: Record<string, unknown>,
  where: string,
  defaultTimeoutMs: number,
): { fetch: FetchFn; random: () => number; timeoutMs: number; retry: RetryPolicy; observer: UpstreamObserver } {
  return {
    fetch: resolveFetch(o['fetch'], where),
    random: resolveRandom(o['random'], where),
    timeoutMs: resolveMs(o['timeoutMs'], defaultTimeoutMs, where, 'timeoutMs'),
    retry: resolveRetryPolicy(o['retry'] as Partial<RetryPolicy> | undefined, where),
    observer: resolveObserver(o['observer'], where),
  };
}
