// The operator's people search, as every engine answers it: userName, an email or displayName starting
// with the text (case-folded), each field read from its index in key order and bounded by the page, the
// matches merged and listed by userName.
import { foldCase } from '../../ports/case-fold.js';
import type { UserSearch } from '../../ports/store.js';

/** Above every character: `key < prefix + TOP` holds for each key that starts with prefix. */
const TOP = '\u{10FFFF}';

export interface UserSearchRange {
  /** Folded text: the lowest key that matches. */
  readonly low: string;
  /** The first key past every match. */
  readonly high: string;
  /** Rows each field may contribute: enough for the page and one more (to tell whether more follow). */
  readonly perField: number;
}

/** The search, checked (TypeError on misuse), as a key range. */
export function userSearchRange(search: UserSearch): UserSearchRange {
  if (typeof search !== 'object' || search === null || typeof search.text !== 'string' || search.text.trim() === '') {
    throw new TypeError('a user search needs a non-empty text');
  }
  for (const key of ['offset', 'limit'] as const) {
    const value = search[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${key} must be a non-negative integer, got ${String(value)}`);
  }
  const low = foldCase(search.text.trim());
  return { low, high: `${low}${TOP}`, perField: search.offset + search.limit + 1 };
}

/**
 * The page of a merged match list (distinct users, ordered by their folded userName), and whether
 * more follow it.
 */
export function searchPage<T>(matches: readonly T[], search: UserSearch): { users: T[]; more: boolean } {
  return { users: matches.slice(search.offset, search.offset + search.limit), more: matches.length > search.offset + search.limit };
}
