// Per-client rate limiting (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST) around authentication: a token
// bucket per authenticated principal, and one per client address that only failed authentications
// drain — once it is empty, that address is refused before its credentials are even looked at, so
// guessing is limited too. A refusal is a SCIM 429 with an integer Retry-After. Memory is bounded:
// buckets idle long enough to be full again are dropped, and each map holds at most `maxKeys`.
import type { NextFunction, Request, Response } from 'express';
import type { ClientRateLimitConfig } from '../config.js';
import { HttpError } from './http-error.js';
import { principalOf } from './bearer-auth.js';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** Most buckets kept per map (principals, addresses); beyond it the least recently used is dropped. */
export const MAX_CLIENT_KEYS = 10_000;

export interface TokenBuckets {
  /** Takes one request from the key's bucket: 0 when granted, else the whole seconds until one is available. */
  take(key: string): number;
  /** The whole seconds until the key's bucket holds a request (0: it does); takes nothing. */
  waitFor(key: string): number;
  /** Buckets held now. */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets of `burst` requests refilled at `perMinute`; `now` is monotonic milliseconds. */
export function createTokenBuckets(options: ClientRateLimitConfig & { readonly now: () => number; readonly maxKeys: number }): TokenBuckets {
  const { burst, now, maxKeys } = options;
  const perMs = options.perMinute / 60_000;
  const fullAfterMs = burst / perMs;
  // Least recently used first: every take moves its key to the end.
  const buckets = new Map<string, Bucket>();
  const level = (bucket: Bucket, at: number) => Math.min(burst, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
  const secondsUntilOne = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  const dropIdle = (at: number) => {
    for (const [key, bucket] of buckets) {
      if (at - bucket.at < fullAfterMs) break;
      buckets.delete(key);
    }
  };
  return {
    take(key) {
      const at = now();
      dropIdle(at);
      const bucket = buckets.get(key);
      const tokens = bucket === undefined ? burst : level(bucket, at);
      if (tokens < 1) return secondsUntilOne(tokens);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
        buckets.set(key, { tokens: tokens - 1, at });
      } else {
        bucket.tokens = tokens - 1;
        bucket.at = at;
        // To the end of the map: least recently used first.
        buckets.delete(key);
        buckets.set(key, bucket);
      }
      return 0;
    },
    waitFor(key) {
      const bucket = buckets.get(key);
      if (bucket === undefined) return 0;
      const tokens = level(bucket, now());
      return tokens >= 1 ? 0 : secondsUntilOne(tokens);
    },
    get size() {
      return buckets.size;
    },
  };
}

/**
 * Wraps an authentication middleware: refuses an address whose failures emptied its bucket, charges
 * each failure to the address, and each accepted request to its principal (see bearer-auth).
 */
export function createClientRateLimit(options: { readonly limit: ClientRateLimitConfig; readonly now: () => number }) {
  const buckets = { ...options.limit, now: options.now, maxKeys: MAX_CLIENT_KEYS };
  const principals = createTokenBuckets(buckets);
  const addresses = createTokenBuckets(buckets);
  return function limited(authenticate: Middleware): Middleware {
    return function clientRateLimit(req, res, next) {
      // The address (req.ip: proxy headers, IPv6 /64) is worked out only when some address has failed, or this one does.
      let address: string | undefined;
      if (addresses.size > 0) {
        address = clientAddressKey(req.ip);
        const blocked = addresses.waitFor(address);
        if (blocked > 0) return next(tooManyRequests(blocked, 'too many failed authentications from this address'));
      }
      authenticate(req, res, (error?: unknown) => {
        if (error) {
          addresses.take((address ??= clientAddressKey(req.ip)));
          return next(error);
        }
        const wait = principals.take(principalOf(res) ?? (address ??= clientAddressKey(req.ip)));
        next(wait === 0 ? undefined : tooManyRequests(wait, 'too many requests with this credential'));
      });
    };
  };
}

function tooManyRequests(seconds: number, reason: string): HttpError {
  return new HttpError(429, `${reason}; retry after ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
}

/**
 * The bucket key of a client address (req.ip, which honours `trust proxy`): an IPv4 address as is
 * (also when IPv4-mapped), an IPv6 address by its /64, the smallest block one subscriber usually holds.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return 'address:unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return `address:${mapped[1]}`;
  if (!ip.includes(':')) return `address:${ip}`;
  const [head = '', tail] = (ip.split('%', 1)[0] ?? '').split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const leading = groups(head);
  const trailing = tail === undefined ? [] : groups(tail);
  const all = [...leading, ...Array<string>(Math.max(0, 8 - leading.length - trailing.length)).fill('0'), ...trailing];
  return `address:${all.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
