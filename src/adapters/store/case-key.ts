// The comparison key of a caseExact=false attribute (RFC 7643 §2.2, §4.1.1): userName, emails.value,
// displayName. Folded in JS so every engine agrees (SQLite's lower() folds ASCII only).

/** The key two values share exactly when they are equal case-insensitively (full Unicode case folding of `toLowerCase`). */
export function caseKey(value: string): string {
  return value.toLowerCase();
}
