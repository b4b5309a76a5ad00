// What the filter evaluator needs to know about an attribute (RFC 7643 §2.2, §2.3, §7): its type,
// whether it compares case-exactly, and whether it is multi-valued. Implemented from the schemas.
import type { AttributePath } from './ast.js';

export interface AttributeInfo {
  readonly type: 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
  readonly caseExact: boolean;
  readonly multiValued: boolean;
}

/**
 * Describes attributes by path. `path.schema` is the URN as the client wrote it (or null for an
 * unqualified core attribute); names are matched case-insensitively (RFC 7643 §2.1).
 * Returns undefined for an attribute no schema defines: the evaluator then compares
 * case-insensitively by the value's own JSON type.
 */
export interface AttributeCatalogue {
  describe(path: AttributePath): AttributeInfo | undefined;
}
