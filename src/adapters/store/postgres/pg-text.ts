// A reversible encoding of JavaScript strings into text PostgreSQL accepts: PostgreSQL text cannot
// hold U+0000 and the driver would turn lone surrogates into U+FFFD, so both are escaped and every
// value the engine stores or looks up reads back exactly as given (as in the SQLite engine).

/** The escape character; it is itself escaped, so the encoding is injective (equality is kept). */
const escape = '\u0001';
/* eslint-disable no-control-regex -- matching U+0000 and the escape character is the point */
/** Anything that needs escaping: U+0000, the escape character, and any surrogate (pairs are re-checked). */
const needsEscaping = /[\u0000\u0001\uD800-\uDFFF]/;
const escapable = /\u0000|\u0001|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const escaped = /\u0001(?:0|\u0001|u([0-9a-f]{4}))/g;
/* eslint-enable no-control-regex */

/**
 * `value` as stored: unchanged unless it holds U+0000, U+0001 or a lone surrogate, which become
 * `\u0001` + `0`, `\u0001\u0001` and `\u0001u` + 4 hex digits. Text order is only relied on for
 * ISO timestamps, which never need escaping.
 */
export function encodeText(value: string): string {
  if (!needsEscaping.test(value)) return value;
  return value.replace(escapable, (unit) => {
    if (unit === '\u0000') return `${escape}0`;
    if (unit === escape) return escape + escape;
    return `${escape}u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The string `encodeText` was given. */
export function decodeText(value: string): string {
  if (!value.includes(escape)) return value;
  return value.replace(escaped, (sequence, hex: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
    return sequence === `${escape}0` ? '\u0000' : escape;
  });
}
