// SCIM filter, attribute-path and PATCH-path parser (RFC 7644 §3.4.2.2 and §3.5.2 PATH): a lazy
// scanner under a recursive-descent parser, producing the core's FilterNode / AttributePath.
import type { AttributePath, CompareOperator, CompareValue, FilterNode } from '../core/filter/ast.js';

export type FilterSyntaxErrorCode = 'invalid_filter' | 'invalid_path';

/** The only error the parsers throw for a string input; `position` is the 0-based offset of the problem. */
export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
  readonly code: FilterSyntaxErrorCode;
  readonly position: number;

  constructor(code: FilterSyntaxErrorCode, message: string, position: number) {
    super(message);
    this.code = code;
    this.position = position;
  }
}

/** Longest filter or path accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of `(`, `[` and `not (` accepted. */
export const MAX_FILTER_DEPTH = 50;

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const LPAREN = 40;
const RPAREN = 41;
const DOT = 46;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;

const OPERATORS_EXPECTED = 'a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr"';
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

/** Characters that end a bare word: whitespace, `(`, `)`, `[`, `]`, `"`. */
function isDelimiter(c: number): boolean {
  return isSpace(c) || c === LPAREN || c === RPAREN || c === LBRACKET || c === RBRACKET || c === QUOTE;
}

/** ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA (RFC 7644 §3.4.2.2), plus "$" (for `$ref`). */
function isAttributeName(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const first = s.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 36)) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (
      !(
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        (c >= 48 && c <= 57) ||
        c === 45 ||
        c === 95 ||
        c === 36
      )
    ) {
      return false;
    }
  }
  return true;
}

function toOperator(word: string): CompareOperator | 'pr' | undefined {
  if (word.length !== 2) return undefined;
  switch (word.toLowerCase()) {
    case 'eq':
      return 'eq';
    case 'ne':
      return 'ne';
    case 'co':
      return 'co';
    case 'sw':
      return 'sw';
    case 'ew':
      return 'ew';
    case 'gt':
      return 'gt';
    case 'ge':
      return 'ge';
    case 'lt':
      return 'lt';
    case 'le':
      return 'le';
    case 'pr':
      return 'pr';
    default:
      return undefined;
  }
}

class Parser {
  pos = 0;
  private depth = 0;
  private readonly length: number;

  constructor(
    private readonly src: string,
    private readonly code: FilterSyntaxErrorCode,
  ) {
    this.length = src.length;
    if (this.length > MAX_FILTER_LENGTH) {
      this.failWith(`longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
    }
  }

  atEnd(): boolean {
    return this.pos >= this.length;
  }

  /** The character code at the cursor, or -1 at the end. */
  peek(): number {
    return this.pos < this.length ? this.src.charCodeAt(this.pos) : -1;
  }

  failWith(problem: string, at: number): never {
    const what = this.code === 'invalid_filter' ? 'Invalid filter' : 'Invalid path';
    throw new FilterSyntaxError(this.code, `${what} at position ${at}: ${problem}`, at);
  }

  fail(expected: string, at: number = this.pos): never {
    return this.failWith(`expected ${expected}, found ${this.describeAt(at)}`, at);
  }

  private describeAt(at: number): string {
    if (at >= this.length) return 'end of input';
    const c = this.src.charCodeAt(at);
    if (isDelimiter(c)) return JSON.stringify(this.src.charAt(at));
    let end = at;
    while (end < this.length && !isDelimiter(this.src.charCodeAt(end))) end++;
    const word = this.src.slice(at, Math.min(end, at + 32));
    return JSON.stringify(end - at > 32 ? `${word}…` : word);
  }

  skipSpace(): void {
    while (this.pos < this.length && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
  }

  readWord(): string {
    const start = this.pos;
    while (this.pos < this.length && !isDelimiter(this.src.charCodeAt(this.pos))) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** Consumes `keyword` (case-insensitive) when it stands at the cursor as a whole word. */
  private matchKeyword(keyword: string): boolean {
    const end = this.pos + keyword.length;
    if (end > this.length) return false;
    if (end < this.length && !isDelimiter(this.src.charCodeAt(end))) return false;
    for (let i = 0; i < keyword.length; i++) {
      // ASCII letters only: setting bit 0x20 lower-cases them.
      if ((this.src.charCodeAt(this.pos + i) | 0x20) !== keyword.charCodeAt(i)) return false;
    }
    this.pos = end;
    return true;
  }

  private isKeywordAhead(keyword: string): boolean {
    const save = this.pos;
    const found = this.matchKeyword(keyword);
    this.pos = save;
    return found;
  }

  enter(): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      this.failWith(`nested more than ${MAX_FILTER_DEPTH} levels deep`, this.pos);
    }
  }

  leave(): void {
    this.depth--;
  }

  /** After an opening `(` or `[` at `openedAt`: skips spaces and consumes the matching closer. */
  expectClose(closer: number, openedAt: number): void {
    this.skipSpace();
    if (this.peek() === closer) {
      this.pos++;
      return;
    }
    const [open, close] = closer === RPAREN ? ['(', ')'] : ['[', ']'];
    const alternatives = this.atEnd() ? `"${close}"` : `"and", "or" or "${close}"`;
    this.fail(`${alternatives} to close the "${open}" at position ${openedAt}`);
  }

  /** FILTER with `or` binding loosest: or-expression = and-expression *("or" and-expression). */
  parseOr(inValuePath: boolean): FilterNode {
    let left = this.parseAnd(inValuePath);
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (!this.matchKeyword('or')) {
        this.pos = save;
        return left;
      }
      const right = this.parseAnd(inValuePath);
      left = { kind: 'or', left, right };
    }
  }

  private parseAnd(inValuePath: boolean): FilterNode {
    let left = this.parseUnary(inValuePath);
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (!this.matchKeyword('and')) {
        this.pos = save;
        return left;
      }
      const right = this.parseUnary(inValuePath);
      left = { kind: 'and', left, right };
    }
  }

  /** "(" FILTER ")" / "not" "(" FILTER ")" / attrExp / valuePath. */
  private parseUnary(inValuePath: boolean): FilterNode {
    this.skipSpace();
    const start = this.pos;
    const c = this.peek();
    if (c === LPAREN) {
      return this.parseGroup(inValuePath);
    }
    if (c === -1 || isDelimiter(c)) {
      this.fail('an attribute path, "(" or "not"');
    }
    if (this.matchKeyword('not')) {
      // `not` is also a legal attribute name: `not pr`, `not eq "x"`, `not[…]`.
      if (this.peek() !== LBRACKET) {
        this.skipSpace();
        if (this.peek() === LPAREN) {
          return { kind: 'not', operand: this.parseGroup(inValuePath) };
        }
        const afterNot = this.pos;
        const next = this.readWord();
        this.pos = afterNot;
        if (toOperator(next) === undefined) this.fail('"(" after "not"');
      }
      this.pos = start;
    }
    const path = this.readPath(inValuePath);
    if (this.peek() !== LBRACKET) {
      return this.parseAttributeExpression(path);
    }
    if (inValuePath) this.fail('a comparison operator (a value filter cannot contain another "[")');
    if (path.subAttribute !== null) {
      this.failWith('a value filter "[…]" must follow a complex attribute, not a sub-attribute', this.pos);
    }
    const filter = this.parseValueFilter();
    if (this.peek() !== DOT) {
      return { kind: 'valuePath', path, filter };
    }
    // Entra's form `emails[type eq "work"].value eq "x"` = `emails[type eq "work" and value eq "x"]`.
    this.pos++;
    const subAttribute = this.readSubAttribute();
    const condition = this.parseAttributeExpression({ schema: null, attribute: subAttribute, subAttribute: null });
    return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } };
  }

  private parseGroup(inValuePath: boolean): FilterNode {
    const openedAt = this.pos;
    this.enter();
    this.pos++;
    const inner = this.parseOr(inValuePath);
    this.expectClose(RPAREN, openedAt);
    this.leave();
    return inner;
  }

  /** At `[`: parses the valFilter up to and including `]`. */
  parseValueFilter(): FilterNode {
    const openedAt = this.pos;
    this.enter();
    this.pos++;
    const filter = this.parseOr(true);
    this.expectClose(RBRACKET, openedAt);
    this.leave();
    return filter;
  }

  /** After `].`: one ATTRNAME. */
  readSubAttribute(): string {
    const at = this.pos;
    const name = this.readWord();
    if (!isAttributeName(name)) this.fail('a sub-attribute name after "]."', at);
    return name;
  }

  /** attrPath = [URI ":"] ATTRNAME *1subAttr; inside "[…]" only a bare ATTRNAME (RFC 7643 §2.3.8). */
  readPath(inValuePath: boolean): AttributePath {
    const at = this.pos;
    const word = this.readWord();
    if (word.length === 0) this.fail('an attribute path', at);
    let schema: string | null = null;
    let rest = word;
    let restAt = at;
    const colon = word.lastIndexOf(':');
    if (colon >= 0) {
      const isUrn = word.length > 4 && word.slice(0, 4).toLowerCase() === 'urn:';
      if (!isUrn) this.failWith(`attribute path ${JSON.stringify(word)} contains ":" but is not a "urn:" URN`, at);
      if (inValuePath) this.failWith('a value filter names sub-attributes, without a schema URN', at);
      if (colon <= 4) this.fail('a schema URN before the attribute name', at);
      schema = word.slice(0, colon);
      rest = word.slice(colon + 1);
      restAt = at + colon + 1;
    }
    const dot = rest.indexOf('.');
    const attribute = dot < 0 ? rest : rest.slice(0, dot);
    if (!isAttributeName(attribute)) {
      this.fail('an attribute name (a letter, then letters, digits, "-", "_" or "$")', restAt);
    }
    if (dot < 0) return { schema, attribute, subAttribute: null };
    if (inValuePath) this.failWith('a value filter names sub-attributes of one attribute, without "."', at);
    const subAttribute = rest.slice(dot + 1);
    if (!isAttributeName(subAttribute)) {
      this.fail('a sub-attribute name after "." (only one level of sub-attribute exists)', restAt + dot + 1);
    }
    return { schema, attribute, subAttribute };
  }

  /** attrExp after its attrPath: SP "pr" / SP compareOp SP compValue. */
  private parseAttributeExpression(path: AttributePath): FilterNode {
    this.skipSpace();
    const at = this.pos;
    const word = this.readWord();
    const operator = toOperator(word);
    if (operator === undefined) {
      if (word.length === 0) this.fail(OPERATORS_EXPECTED, at);
      this.failWith(`unknown operator ${JSON.stringify(word)}; expected ${OPERATORS_EXPECTED}`, at);
    }
    if (operator === 'pr') {
      this.rejectValueAfterPresent();
      return { kind: 'present', path };
    }
    return { kind: 'compare', path, operator, value: this.readValue(word) };
  }

  private rejectValueAfterPresent(): void {
    const save = this.pos;
    this.skipSpace();
    const c = this.peek();
    const isValue =
      c === QUOTE || (c !== -1 && !isDelimiter(c) && !this.isKeywordAhead('and') && !this.isKeywordAhead('or'));
    if (isValue) this.failWith('"pr" takes no value; expected "and", "or", ")" or the end', this.pos);
    this.pos = save;
  }

  /** compValue = false / null / true / number / string; a bare word is taken as a string (Entra sends `externalId eq jyoung`). */
  private readValue(operatorWord: string): CompareValue {
    this.skipSpace();
    const at = this.pos;
    const c = this.peek();
    if (c === QUOTE) return this.readString();
    const expected = `a value after ${JSON.stringify(operatorWord)}`;
    if (c === -1 || isDelimiter(c)) this.fail(expected);
    const word = this.readWord();
    switch (word) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
    }
    if (JSON_NUMBER.test(word)) return Number(word);
    if (this.isLogicalKeyword(word)) this.fail(expected, at);
    return word;
  }

  private isLogicalKeyword(word: string): boolean {
    const lower = word.length <= 3 ? word.toLowerCase() : '';
    return lower === 'and' || lower === 'or';
  }

  /** A JSON string (RFC 8259 §7), at its opening quote. */
  private readString(): string {
    const openedAt = this.pos;
    const src = this.src;
    this.pos++;
    let out = '';
    let chunk = this.pos;
    while (this.pos < this.length) {
      const c = src.charCodeAt(this.pos);
      if (c === QUOTE) {
        out += src.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c !== BACKSLASH) {
        this.pos++;
        continue;
      }
      out += src.slice(chunk, this.pos);
      const escapeAt = this.pos;
      const e = this.pos + 1 < this.length ? src.charAt(this.pos + 1) : '';
      this.pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = src.slice(this.pos, this.pos + 4);
          if (!HEX4.test(hex)) this.failWith('expected four hex digits after "\\u" in a string', escapeAt);
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        case '':
          this.failWith(`unterminated string opened at position ${openedAt}`, openedAt);
          break;
        default:
          this.failWith(
            `invalid escape "\\${e}" in a string; expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`,
            escapeAt,
          );
      }
      chunk = this.pos;
    }
    return this.failWith(`unterminated string opened at position ${openedAt}`, openedAt);
  }

  /** After the expression: only spaces may remain. */
  expectEnd(expected: string): void {
    this.skipSpace();
    if (this.atEnd()) return;
    if (this.peek() === RPAREN && this.code === 'invalid_filter') {
      this.failWith('unbalanced ")" without a matching "("', this.pos);
    }
    this.fail(expected);
  }
}

function requireString(text: unknown, what: string): asserts text is string {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a string, got ${typeof text}`);
}

/**
 * Parses a `filter` query parameter (RFC 7644 §3.4.2.2). Keywords and operators are
 * case-insensitive; precedence is not > and > or; at most {@link MAX_FILTER_LENGTH} characters
 * and {@link MAX_FILTER_DEPTH} nesting levels. Throws FilterSyntaxError 'invalid_filter'.
 */
export function parseFilter(text: string): FilterNode {
  requireString(text, 'filter');
  const parser = new Parser(text, 'invalid_filter');
  parser.skipSpace();
  if (parser.atEnd()) parser.failWith('the filter is empty', parser.pos);
  const node = parser.parseOr(false);
  parser.expectEnd('"and", "or" or the end of the filter');
  return node;
}

/**
 * Parses one attribute path, `[URN ":"] ATTRNAME ["." ATTRNAME]`, as used in `attributes=`,
 * `excludedAttributes=` and simple PATCH paths. Surrounding spaces are ignored.
 * Throws FilterSyntaxError 'invalid_path'.
 */
export function parseAttributePath(text: string): AttributePath {
  requireString(text, 'attribute path');
  const parser = new Parser(text, 'invalid_path');
  parser.skipSpace();
  const path = parser.readPath(false);
  parser.expectEnd('the end of the attribute path');
  return path;
}

export interface PatchPath {
  /** The targeted attribute; `name.givenName` keeps its sub-attribute here. */
  readonly path: AttributePath;
  /** The value filter of `members[value eq "…"]`, with paths relative to the attribute's values. */
  readonly filter: FilterNode | null;
  /** The sub-attribute after a value filter: `value` in `emails[type eq "work"].value`. */
  readonly subAttribute: string | null;
}

/**
 * Parses a PATCH operation `path` (RFC 7644 §3.5.2: PATH = attrPath / valuePath [subAttr]).
 * Throws FilterSyntaxError 'invalid_path', also for a malformed value filter.
 */
export function parsePatchPath(text: string): PatchPath {
  requireString(text, 'PATCH path');
  const parser = new Parser(text, 'invalid_path');
  parser.skipSpace();
  const path = parser.readPath(false);
  let filter: FilterNode | null = null;
  let subAttribute: string | null = null;
  if (parser.peek() === LBRACKET) {
    if (path.subAttribute !== null) {
      parser.failWith('a value filter "[…]" must follow a complex attribute, not a sub-attribute', parser.pos);
    }
    filter = parser.parseValueFilter();
    if (parser.peek() === DOT) {
      parser.pos++;
      subAttribute = parser.readSubAttribute();
    }
  }
  parser.expectEnd(filter === null ? '"[" or the end of the path' : '"." or the end of the path');
  return { path, filter, subAttribute };
}
