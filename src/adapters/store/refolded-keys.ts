// The schema migration to Unicode-folded keys (ports/case-fold.ts): keys written by an earlier
// release were only lower-cased, so a name stored decomposed (NFD) has a key the composed form no
// longer finds. The engines' migrations rewrite each such key with what this module works out.
import { foldCase } from '../../ports/case-fold.js';

export interface KeyRow {
  readonly seq: number;
  readonly key: string;
}

/**
 * The rows (in creation order) whose unique key changes under foldCase. Folding can make two stored
 * names one (an NFC and an NFD spelling of the same userName): a row whose key is already folded
 * keeps it, else the older row gets it, and the other keeps its old key (still reachable by id), so
 * the migration never fails and loses nothing.
 */
export function refoldedUniqueKeys(rows: readonly KeyRow[]): KeyRow[] {
  const taken = new Set(rows.filter((row) => foldCase(row.key) === row.key).map((row) => row.key));
  const changes: KeyRow[] = [];
  for (const row of rows) {
    const folded = foldCase(row.key);
    if (folded === row.key || taken.has(folded)) continue;
    taken.add(folded);
    changes.push({ seq: row.seq, key: folded });
  }
  return changes;
}

/** The (owner, key) rows of a non-unique key whose key changes under foldCase, with the new key. */
export function refoldedKeys<R extends { readonly key: string }>(rows: readonly R[]): Array<R & { readonly folded: string }> {
  return rows.map((row) => ({ ...row, folded: foldCase(row.key) })).filter((row) => row.folded !== row.key);
}
