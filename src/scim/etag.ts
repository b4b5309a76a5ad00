// Resource versions as weak ETags (RFC 7644 §3.14): `meta.version` = ETag = W/"<version>".
import type { IfMatch } from '../core/precondition.js';
import { MAX_RESOURCE_VERSION } from '../ports/store.js';
import { ScimError } from './scim-error.js';

export function formatETag(version: number): string {
  return `W/"${version}"`;
}

const ENTITY_TAG = /^\s*(?:W\/)?"(\d{1,15})"\s*$/;

/** Parses If-Match: one entity tag or `*`. Several tags, or tags this server never issued, can never match. */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return null;
  if (header.trim() === '*') return '*';
  const match = ENTITY_TAG.exec(header);
  const version = match === null ? null : Number(match[1]);
  // A version no resource can reach names none: the precondition fails, on every engine alike.
  if (version === null || version > MAX_RESOURCE_VERSION) throw new ScimError(412, undefined, 'If-Match names no version of this resource');
  return version;
}

/** True when If-None-Match lists the current version (or is `*`): the GET answers 304. */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    if (tag.trim() === '*') return true;
    const match = ENTITY_TAG.exec(tag);
    return match !== null && Number(match[1]) === version;
  });
}
