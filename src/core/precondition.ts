// ETag preconditions (RFC 7644 §3.14): `If-Match` carries the version a client last saw.

/** A client's If-Match: a version number, `*` (any existing version), or none. */
export type IfMatch = number | '*' | null;

/** The store precondition for an If-Match value. */
export function expectedVersion(ifMatch: IfMatch): { expectedVersion?: number } {
  return typeof ifMatch === 'number' ? { expectedVersion: ifMatch } : {};
}
