// foldMemberOperations: the net effect of a PATCH's member operations, in order.
import { describe, expect, it } from 'vitest';
import { foldMemberOperations } from '../../src/core/membership-change.js';

describe('foldMemberOperations', () => {
  it('when there are no member operations, then there is no change', () => {
    expect(foldMemberOperations([])).toBeNull();
  });

  it('when adds and removes mix, then the later operation on an id wins and the sets stay disjoint', () => {
    expect(
      foldMemberOperations([
        { kind: 'add', ids: ['a', 'b'] },
        { kind: 'remove', ids: ['b', 'c'] },
        { kind: 'add', ids: ['c'] },
      ]),
    ).toEqual({ kind: 'delta', add: ['a', 'c'], remove: ['b'] });
  });

  it('when a replace comes first, then later adds and removes edit the replacement', () => {
    expect(
      foldMemberOperations([
        { kind: 'add', ids: ['x'] },
        { kind: 'replace', ids: ['a', 'b'] },
        { kind: 'remove', ids: ['a'] },
        { kind: 'add', ids: ['c'] },
      ]),
    ).toEqual({ kind: 'replace', members: ['b', 'c'] });
  });
});
