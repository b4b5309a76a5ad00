// How strings that are not caseExact compare (RFC 7643 §2.2, §2.3.1): case-insensitively and under
// Unicode canonical equivalence, so "José" typed as NFC or NFD and in any case is one name.

/**
 * The key two caseExact=false strings share exactly when they are equal: lower-cased with the full
 * Unicode case mapping of `toLowerCase`, then in Normalization Form C (Unicode UAX #15). Computed in
 * JavaScript, never by a database's lower(), so that every engine and the in-memory filter agree.
 */
export function foldCase(value: string): string {
  return value.toLowerCase().normalize('NFC');
}
