// Constant-time comparison of presented secrets (bearer tokens) with configured ones. Both sides are
// compared as SHA-256 digests, so neither the content nor the length of a secret leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Whether `presented` equals `expected`, in time that depends on neither. */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * A matcher over several configured secrets (rotation): the index of the one `presented` equals, or -1.
 * Every configured secret is compared on every call, so the time does not tell which one matched.
 */
export function createSecretMatcher(secrets: readonly string[]): (presented: string) => number {
  const digests = secrets.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let matched = -1;
    for (let index = 0; index < digests.length; index += 1) {
      if (timingSafeEqual(candidate, digests[index] as Buffer)) matched = index;
    }
    return matched;
  };
}
