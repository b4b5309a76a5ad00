// The SCIM filter expression tree (RFC 7644 §3.4.2.2), produced by scim/filter-parser and
// evaluated or planned onto store indexes by the core. Attribute names keep the client's case.

/** `urn:…:User:name.givenName` → { schema: 'urn:…:User', attribute: 'name', subAttribute: 'givenName' }. */
export interface AttributePath {
  readonly schema: string | null;
  readonly attribute: string;
  readonly subAttribute: string | null;
}

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A JSON literal from the filter text: a string (dates stay strings), number, boolean or null. */
export type CompareValue = string | number | boolean | null;

export type FilterNode =
  | { readonly kind: 'compare'; readonly path: AttributePath; readonly operator: CompareOperator; readonly value: CompareValue }
  | { readonly kind: 'present'; readonly path: AttributePath }
  | { readonly kind: 'and'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  /**
   * `emails[type eq "work"]`: true when some value of the (multi-valued) complex attribute matches
   * `filter`, whose paths name sub-attributes ({ schema: null, attribute: 'type', subAttribute: null }).
   * `emails[type eq "work"].value eq "x"` is parsed as `emails[type eq "work" and value eq "x"]`.
   */
  | { readonly kind: 'valuePath'; readonly path: AttributePath; readonly filter: FilterNode };
