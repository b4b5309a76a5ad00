import { describe, expect, it } from 'vitest';
import { filterReadsAttribute } from '../../src/core/filter/named-attributes.js';
import { parseFilter } from '../../src/scim/filter-parser.js';

describe('filterReadsAttribute', () => {
  it.each([
    ['members.value co "u1"', true],
    ['MEMBERS.Value eq "u1"', true],
    ['urn:ietf:params:scim:schemas:core:2.0:Group:members.value sw "u"', true],
    ['members pr', true],
    ['members[value eq "u1"]', true],
    ['displayName co "ops" or not (members.display sw "a")', true],
    ['displayName co "ops" and (externalId pr or meta.lastModified gt "2025-01-01T00:00:00Z")', false],
    ['displayName eq "members"', false],
    ['emails[type eq "members"]', false],
  ])('%s → %s', (text, reads) => {
    expect(filterReadsAttribute(parseFilter(text), 'members')).toBe(reads);
  });
});
