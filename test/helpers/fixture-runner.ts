// Loads captured IdP request shapes (test/fixtures/idp/{okta,entra}/*.json, format in that folder's
// README.md) and replays one scenario against a fresh bridge, failing on the first step that
// differs with the fixture, the step and every mismatching path named.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestBridge, TEST_TOKEN, type StoreEngine, type TestBridge } from './test-bridge.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `rfc`: shapes from RFC 7643/7644's own text and from public SCIM conformance suites, which no one IdP sends. */
export const IDPS = ['okta', 'entra', 'rfc'] as const;
export type Idp = (typeof IDPS)[number];

export interface IdpFixture {
  /** Display name relative to the fixture root, e.g. `okta/push-group.json`. */
  readonly file: string;
  readonly idp: Idp;
  readonly title: string;
  readonly source: string;
  /** Scenario variables, resolved in order before the first step (values may use placeholders). */
  readonly vars: Readonly<Record<string, string>>;
  readonly steps: readonly FixtureStep[];
}

export interface FixtureStep {
  readonly name: string;
  readonly note: string | undefined;
  /** Run the step this many times, with `{{i}}` = 1 … repeat. */
  readonly repeat: number;
  readonly request: FixtureRequest;
  readonly expect: FixtureExpectation;
  /** Variable name (placeholders allowed) → response path, e.g. `{ "userId": "body.id" }`. */
  readonly capture: Readonly<Record<string, string>>;
}

/** `token`: the bridge's valid bearer token; `wrong`: a well-formed but unknown one; `none`: no Authorization header. */
export type FixtureAuth = 'token' | 'wrong' | 'none';

export interface FixtureRequest {
  readonly method: string;
  /** Relative to the SCIM base path, e.g. `/Users?filter=userName eq "x"`; query values are percent-encoded by the runner. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Json | undefined;
  readonly auth: FixtureAuth;
}

export interface FixtureExpectation {
  /** Any of these statuses passes (IdPs often accept e.g. 200 or 204). */
  readonly status: readonly number[];
  readonly headers: Readonly<Record<string, Json>>;
  readonly body: Json | undefined;
  readonly absent: readonly string[];
}

/** A fixture file that does not follow the format (a mistake in the fixture, not in the bridge). */
export class FixtureFormatError extends Error {
  override readonly name = 'FixtureFormatError';
}

/** A step whose response differs from its expectation. */
export class FixtureStepFailure extends Error {
  override readonly name = 'FixtureStepFailure';
}

export interface ReplayReport {
  readonly steps: number;
  readonly requests: number;
}

const MATCHERS = new Set(['$type', '$length', '$contains', '$startsWith', '$endsWith']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Exactly the media type: it defines no parameters (RFC 7644 §8.1). */
const SCIM_CONTENT_TYPE = /^application\/scim\+json$/;
const MAX_REPEAT = 1000;
const SHOWN_RESPONSE_CHARS = 2000;

// ---------------------------------------------------------------------------------------------
// Discovery and loading
// ---------------------------------------------------------------------------------------------

/** Every `*.json` under `<root>/<idp>/` (sub-folders included), per IdP, sorted by path. */
export function discoverFixtures(root: string): Record<Idp, string[]> {
  const found = Object.fromEntries(IDPS.map((idp) => [idp, [] as string[]])) as Record<Idp, string[]>;
  for (const idp of IDPS) {
    const dir = path.join(root, idp);
    let names: string[];
    try {
      names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    } catch {
      names = [];
    }
    found[idp] = names.filter((name) => name.endsWith('.json')).sort().map((name) => path.join(dir, name));
  }
  return found;
}

/** Reads and validates one fixture file; throws FixtureFormatError naming the file and the problem. */
export function loadFixture(file: string, root: string): IdpFixture {
  const display = path.relative(root, file).split(path.sep).join('/');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FixtureFormatError(`${display}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const fixture = parseFixture(raw, display);
  const folder = display.split('/')[0];
  if (folder !== fixture.idp) throw new FixtureFormatError(`${display}: "idp" is "${fixture.idp}" but the file is in ${folder}/`);
  return fixture;
}

/** Validates a parsed fixture document; `display` names it in errors. */
export function parseFixture(raw: unknown, display: string): IdpFixture {
  const fail = (where: string, problem: string): never => {
    throw new FixtureFormatError(`${display}: ${where}: ${problem}`);
  };
  const doc = objectAt(raw, 'document', fail);
  onlyKeys(doc, ['idp', 'title', 'source', 'vars', 'steps'], 'document', fail);
  const idp = doc.idp;
  if (typeof idp !== 'string' || !(IDPS as readonly string[]).includes(idp)) fail('idp', `must be one of ${IDPS.join(', ')}`);
  const title = nonEmptyString(doc.title, 'title', fail);
  const source = nonEmptyString(doc.source, 'source', fail);
  const vars: Record<string, string> = {};
  if (doc.vars !== undefined) {
    for (const [name, value] of Object.entries(objectAt(doc.vars, 'vars', fail))) {
      if (!/^[A-Za-z_][\w.-]*$/.test(name)) fail(`vars.${name}`, 'is not a valid variable name');
      vars[name] = nonEmptyString(value, `vars.${name}`, fail);
    }
  }
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) fail('steps', 'must be a non-empty array');
  const steps = (doc.steps as Json[]).map((step, index) => parseStep(step, `steps[${index}]`, fail));
  return { file: display, idp: idp as Idp, title, source, vars, steps };
}

type Fail = (where: string, problem: string) => never;

function parseStep(raw: Json, where: string, fail: Fail): FixtureStep {
  const step = objectAt(raw, where, fail);
  onlyKeys(step, ['name', 'note', 'repeat', 'request', 'expect', 'capture'], where, fail);
  const name = nonEmptyString(step.name, `${where}.name`, fail);
  const note = step.note === undefined ? undefined : nonEmptyString(step.note, `${where}.note`, fail);
  const repeat = step.repeat === undefined ? 1 : step.repeat;
  if (typeof repeat !== 'number' || !Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
    fail(`${where}.repeat`, `must be an integer from 1 to ${MAX_REPEAT}`);
  }

  const request = objectAt(step.request, `${where}.request`, fail);
  onlyKeys(request, ['method', 'path', 'headers', 'body', 'auth'], `${where}.request`, fail);
  const method = nonEmptyString(request.method, `${where}.request.method`, fail).toUpperCase();
  if (!METHODS.has(method)) fail(`${where}.request.method`, `must be one of ${[...METHODS].join(', ')}`);
  const requestPath = nonEmptyString(request.path, `${where}.request.path`, fail);
  if (!requestPath.startsWith('/')) fail(`${where}.request.path`, 'must start with "/" (it is relative to the SCIM base)');
  const headers = stringMap(request.headers, `${where}.request.headers`, fail);
  if (method === 'GET' && request.body !== undefined) fail(`${where}.request.body`, 'a GET carries no body');
  const auth = request.auth === undefined ? 'token' : request.auth;
  if (auth !== 'token' && auth !== 'wrong' && auth !== 'none') fail(`${where}.request.auth`, 'must be "token", "wrong" or "none"');

  const expect = objectAt(step.expect, `${where}.expect`, fail);
  onlyKeys(expect, ['status', 'headers', 'body', 'absent'], `${where}.expect`, fail);
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  if (statuses.length === 0 || statuses.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599)) {
    fail(`${where}.expect.status`, 'must be an HTTP status or a non-empty array of them');
  }
  const expectedHeaders: Record<string, Json> = {};
  if (expect.headers !== undefined) {
    for (const [header, value] of Object.entries(objectAt(expect.headers, `${where}.expect.headers`, fail))) {
      checkExpectation(value, `${where}.expect.headers.${header}`, fail);
      expectedHeaders[header.toLowerCase()] = value;
    }
  }
  if (expect.body !== undefined) checkExpectation(expect.body, `${where}.expect.body`, fail);
  const absent = expect.absent === undefined ? [] : expect.absent;
  if (!Array.isArray(absent) || absent.some((p) => typeof p !== 'string')) fail(`${where}.expect.absent`, 'must be an array of response paths');
  for (const p of absent as string[]) checkResponsePath(p, `${where}.expect.absent`, fail);

  const capture = stringMap(step.capture, `${where}.capture`, fail);
  for (const p of Object.values(capture)) checkResponsePath(p, `${where}.capture`, fail);

  return {
    name,
    note,
    repeat: repeat as number,
    request: { method, path: requestPath, headers, body: request.body, auth: auth as FixtureAuth },
    expect: { status: statuses as number[], headers: expectedHeaders, body: expect.body, absent: absent as string[] },
    capture,
  };
}

/** Matcher objects must be well-formed and never mixed with attribute keys. */
function checkExpectation(value: Json, where: string, fail: Fail): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkExpectation(item, `${where}[${i}]`, fail));
    return;
  }
  if (!isObject(value)) return;
  const keys = Object.keys(value);
  const matcherKeys = keys.filter((k) => MATCHERS.has(k));
  if (matcherKeys.length === 0) {
    for (const key of keys) checkExpectation(value[key] as Json, `${where}.${key}`, fail);
    return;
  }
  if (matcherKeys.length !== keys.length) fail(where, `matcher keys (${matcherKeys.join(', ')}) cannot be mixed with other keys`);
  const m = value;
  if (m.$type !== undefined && (typeof m.$type !== 'string' || !TYPES.has(m.$type))) fail(where, `$type must be one of ${[...TYPES].join(', ')}`);
  if (m.$length !== undefined && (typeof m.$length !== 'number' || !Number.isInteger(m.$length) || m.$length < 0)) {
    fail(where, '$length must be a non-negative integer');
  }
  if (m.$contains !== undefined) {
    if (!Array.isArray(m.$contains)) fail(where, '$contains must be an array of element expectations');
    (m.$contains as Json[]).forEach((item, i) => checkExpectation(item, `${where}.$contains[${i}]`, fail));
  }
  for (const key of ['$startsWith', '$endsWith'] as const) {
    if (m[key] !== undefined && typeof m[key] !== 'string') fail(where, `${key} must be a string`);
  }
}

function checkResponsePath(text: string, where: string, fail: Fail): void {
  try {
    const segments = parseResponsePath(text);
    const root = segments[0];
    if (root !== 'body' && root !== 'headers') throw new Error('must start with "body" or "headers"');
    if (root === 'headers' && (segments.length !== 2 || typeof segments[1] !== 'string')) throw new Error('headers.<name> names one header');
  } catch (error) {
    fail(where, `"${text}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------------

/** Starts a fresh bridge (its own SQLite file, or PostgreSQL schema), replays the fixture, and always closes the bridge. */
export async function runFixture(fixture: IdpFixture, engine: StoreEngine = 'sqlite'): Promise<ReplayReport> {
  const bridge = await startTestBridge({ engine });
  try {
    return await replayFixture(fixture, bridge);
  } finally {
    await bridge.close();
  }
}

interface Response {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Json | undefined;
}

/** Replays every step of `fixture` against `bridge`, in order; throws FixtureStepFailure at the first mismatch. */
export async function replayFixture(fixture: IdpFixture, bridge: TestBridge): Promise<ReplayReport> {
  const scope = new Scope(randomBytes(5).toString('hex'));
  for (const [name, template] of Object.entries(fixture.vars)) {
    scope.set(name, scope.substituteString(template, `vars.${name}`));
  }
  let requests = 0;
  for (const [index, step] of fixture.steps.entries()) {
    for (let i = 1; i <= step.repeat; i++) {
      scope.iteration = step.repeat > 1 ? i : null;
      const label = `${fixture.file} › step ${index + 1}/${fixture.steps.length} "${step.name}"${step.repeat > 1 ? ` (repeat ${i}/${step.repeat})` : ''}`;
      const where = `${fixture.file} steps[${index}]`;
      const request = resolveRequest(step.request, scope, where);
      const response = await send(bridge, request);
      requests++;
      // Captures come first, so that the step's own expectations may use them (e.g. Location ends with the new id).
      const mismatches: string[] = [];
      for (const [nameTemplate, responsePath] of Object.entries(step.capture)) {
        const name = scope.substituteText(nameTemplate, `${where}.capture`);
        const value = resolveResponsePath(response, parseResponsePath(responsePath));
        if (value === undefined) mismatches.push(`capture "${name}": ${responsePath} is absent`);
        else scope.set(name, value);
      }
      if (mismatches.length === 0) mismatches.push(...checkResponse(step.expect, response, scope, where));
      else if (!step.expect.status.includes(response.status)) {
        mismatches.unshift(`status: expected ${step.expect.status.join(' or ')}, got ${response.status}`);
      }
      if (mismatches.length > 0) throw new FixtureStepFailure(describeFailure(label, request, response, mismatches));
    }
  }
  return { steps: fixture.steps.length, requests };
}

interface ResolvedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Json | undefined;
}

function resolveRequest(request: FixtureRequest, scope: Scope, where: string): ResolvedRequest {
  const headers: Record<string, string> = {};
  if (request.auth === 'token') headers.authorization = `Bearer ${TEST_TOKEN}`;
  if (request.auth === 'wrong') headers.authorization = `Bearer wrong-${scope.random}-0123456789abcdef`;
  if (request.body !== undefined) headers['content-type'] = 'application/scim+json';
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = scope.substituteText(value, `${where}.request.headers.${name}`);
  }
  const body = request.body === undefined ? undefined : scope.substituteDeep(request.body, `${where}.request.body`);
  return { method: request.method, path: encodeRequestPath(request.path, scope, `${where}.request.path`), headers, body };
}

/**
 * Substitutes placeholders per path segment and query component, then percent-encodes each
 * component as an IdP would (`filter=userName eq "x"` → `filter=userName%20eq%20%22x%22`);
 * components already percent-encoded in the fixture are left as they are.
 */
function encodeRequestPath(template: string, scope: Scope, where: string): string {
  const component = (text: string): string => {
    const substituted = scope.substituteText(text, where);
    let decoded: string;
    try {
      decoded = decodeURIComponent(substituted);
    } catch {
      decoded = substituted; // a literal "%" that is no escape
    }
    return encodeURIComponent(decoded);
  };
  const q = template.indexOf('?');
  const pathname = q < 0 ? template : template.slice(0, q);
  const encodedPath = pathname.split('/').map(component).join('/');
  if (q < 0) return encodedPath;
  const query = template
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? component(pair) : `${component(pair.slice(0, eq))}=${component(pair.slice(eq + 1))}`;
    })
    .join('&');
  return `${encodedPath}?${query}`;
}

async function send(bridge: TestBridge, request: ResolvedRequest): Promise<Response> {
  const response = await fetch(`${bridge.base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
  const text = await response.text();
  let body: Json | undefined;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as Json);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

function checkResponse(expect: FixtureExpectation, response: Response, scope: Scope, where: string): string[] {
  const mismatches: string[] = [];
  if (!expect.status.includes(response.status)) {
    mismatches.push(`status: expected ${expect.status.join(' or ')}, got ${response.status}`);
  }
  const contentType = response.headers.get('content-type');
  if (response.status === 204 || response.status === 304) {
    if (response.text !== '') mismatches.push(`body: a ${response.status} carries no body, got ${show(response.text)}`);
  } else {
    if (contentType === null || !SCIM_CONTENT_TYPE.test(contentType)) {
      mismatches.push(`headers.content-type: expected application/scim+json, got ${show(contentType)}`);
    }
    if (response.body === undefined) mismatches.push(`body: expected a JSON body, got ${show(response.text)}`);
  }
  for (const [name, expected] of Object.entries(expect.headers)) {
    const actual = response.headers.get(name);
    const resolved = scope.substituteDeep(expected, `${where}.expect.headers.${name}`);
    if (actual === null) mismatches.push(`headers.${name}: expected ${show(resolved)}, but it is absent`);
    else matchValue(resolved, actual, `headers.${name}`, mismatches);
  }
  if (expect.body !== undefined) {
    const resolved = scope.substituteDeep(expect.body, `${where}.expect.body`);
    if (response.body === undefined) mismatches.push(`body: expected ${show(resolved)}, but there is no JSON body`);
    else matchValue(resolved, response.body, 'body', mismatches);
  }
  for (const absentPath of expect.absent) {
    const value = resolveResponsePath(response, parseResponsePath(absentPath));
    if (value !== undefined) mismatches.push(`${absentPath}: expected absent, got ${show(value)}`);
  }
  return mismatches;
}

function describeFailure(label: string, request: ResolvedRequest, response: Response, mismatches: readonly string[]): string {
  const text = response.text.length > SHOWN_RESPONSE_CHARS ? `${response.text.slice(0, SHOWN_RESPONSE_CHARS)}…` : response.text;
  const sent = request.body === undefined ? '' : `\n  sent: ${JSON.stringify(request.body)}`;
  return [
    `${label}: ${request.method} ${request.path}`,
    ...mismatches.map((m) => `  ✗ ${m}`),
    `  response ${response.status}: ${text === '' ? '(empty)' : text}${sent}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Matching (partial deep match; see README.md)
// ---------------------------------------------------------------------------------------------

/** Appends one line per mismatch between `expected` (placeholders already substituted) and `actual`. */
export function matchValue(expected: Json, actual: Json | undefined, at: string, out: string[]): void {
  if (isMatcher(expected)) {
    matchMatcher(expected, actual, at, out);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`${at}: expected an array of ${expected.length}, got ${show(actual)}`);
      return;
    }
    if (actual.length !== expected.length) out.push(`${at}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`);
    expected.forEach((item, i) => {
      if (i < actual.length) matchValue(item, actual[i], `${at}[${i}]`, out);
    });
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.push(`${at}: expected an object, got ${show(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      const childAt = `${at}${formatKey(key)}`;
      if (!(key in actual)) out.push(`${childAt}: expected ${show(value)}, but it is absent`);
      else matchValue(value, actual[key], childAt, out);
    }
    return;
  }
  if (actual !== expected) out.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
}

function matchMatcher(matcher: JsonObject, actual: Json | undefined, at: string, out: string[]): void {
  if (typeof matcher.$type === 'string' && typeOf(actual) !== matcher.$type && !(matcher.$type === 'number' && typeOf(actual) === 'integer')) {
    out.push(`${at}: expected a value of type ${matcher.$type}, got ${show(actual)}`);
  }
  if (typeof matcher.$length === 'number' && !(Array.isArray(actual) && actual.length === matcher.$length)) {
    out.push(`${at}: expected an array of ${matcher.$length} element(s), got ${show(actual)}`);
  }
  if (typeof matcher.$startsWith === 'string' && !(typeof actual === 'string' && actual.startsWith(matcher.$startsWith))) {
    out.push(`${at}: expected a string starting with ${show(matcher.$startsWith)}, got ${show(actual)}`);
  }
  if (typeof matcher.$endsWith === 'string' && !(typeof actual === 'string' && actual.endsWith(matcher.$endsWith))) {
    out.push(`${at}: expected a string ending with ${show(matcher.$endsWith)}, got ${show(actual)}`);
  }
  if (Array.isArray(matcher.$contains)) {
    if (!Array.isArray(actual)) {
      out.push(`${at}: expected an array containing ${show(matcher.$contains)}, got ${show(actual)}`);
      return;
    }
    const used = new Set<number>();
    matcher.$contains.forEach((wanted, i) => {
      const found = actual.findIndex((candidate, k) => {
        if (used.has(k)) return false;
        const probe: string[] = [];
        matchValue(wanted, candidate, '', probe);
        return probe.length === 0;
      });
      if (found < 0) out.push(`${at}: no element matches $contains[${i}] ${show(wanted)}; got ${show(actual)}`);
      else used.add(found);
    });
  }
}

function isMatcher(value: Json): value is JsonObject {
  return isObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => MATCHERS.has(k));
}

function typeOf(value: Json | undefined): string {
  if (value === undefined) return 'absent';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

// ---------------------------------------------------------------------------------------------
// Response paths: body.Resources[0].name.givenName, body["urn:…:2.0:User"].manager, headers.location
// ---------------------------------------------------------------------------------------------

type Segment = string | number;

/** Parses `a.b[0]["key.with.dots"]` into segments; throws on malformed text. */
export function parseResponsePath(text: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  const identifier = (): string => {
    const start = i;
    while (i < text.length && text[i] !== '.' && text[i] !== '[') i++;
    if (i === start) throw new Error(`empty segment at ${start}`);
    return text.slice(start, i);
  };
  segments.push(identifier());
  while (i < text.length) {
    if (text[i] === '.') {
      i++;
      segments.push(identifier());
    } else if (text.startsWith('["', i)) {
      const end = text.indexOf('"]', i + 2);
      if (end < 0) throw new Error(`unclosed ["…"] at ${i}`);
      segments.push(text.slice(i + 2, end));
      i = end + 2;
    } else {
      const match = /^\[(\d+)\]/.exec(text.slice(i));
      if (!match) throw new Error(`expected .name, [index] or ["key"] at ${i}`);
      segments.push(Number(match[1]));
      i += match[0].length;
    }
  }
  return segments;
}

function resolveResponsePath(response: Response, segments: readonly Segment[]): Json | undefined {
  const [root, ...rest] = segments;
  if (root === 'headers') return response.headers.get(String(rest[0])) ?? undefined;
  let current: Json | undefined = response.body;
  for (const segment of rest) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isObject(current) && segment in current ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Placeholders: {{name}}, {{name|upper}}, {{name|lower}}; built-ins random, uuid, i
// ---------------------------------------------------------------------------------------------

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*(?:\|\s*(upper|lower)\s*)?\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$/;

class Scope {
  readonly random: string;
  iteration: number | null = null;
  private readonly values = new Map<string, Json>();

  constructor(random: string) {
    this.random = random;
  }

  set(name: string, value: Json): void {
    this.values.set(name, value);
  }

  private lookup(name: string, where: string): Json {
    if (name === 'random') return this.random;
    if (name === 'uuid') return randomUUID();
    if (name === 'i') {
      if (this.iteration === null) throw new FixtureFormatError(`${where}: {{i}} is only defined in a step with "repeat"`);
      return this.iteration;
    }
    const value = this.values.get(name);
    if (value === undefined) throw new FixtureFormatError(`${where}: {{${name}}} is not defined (no var or earlier capture of that name)`);
    return value;
  }

  /** A string that is exactly one placeholder takes the variable's JSON value (object, number, …) as is. */
  substituteString(text: string, where: string): Json {
    const whole = WHOLE_PLACEHOLDER.exec(text);
    if (whole) return structuredClone(this.lookup(whole[1] as string, where));
    return text.replace(PLACEHOLDER, (_all, name: string, modifier: string | undefined) => {
      const value = this.lookup(name, where);
      const textValue = typeof value === 'string' ? value : JSON.stringify(value);
      if (modifier === 'upper') return textValue.toUpperCase();
      if (modifier === 'lower') return textValue.toLowerCase();
      return textValue;
    });
  }

  /** As substituteString, but always text (a non-string value becomes its JSON text): for paths, headers, names. */
  substituteText(text: string, where: string): string {
    const value = this.substituteString(text, where);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  substituteDeep(value: Json, where: string): Json {
    if (typeof value === 'string') return this.substituteString(value, where);
    if (Array.isArray(value)) return value.map((item) => this.substituteDeep(item, where));
    if (isObject(value)) {
      const result: JsonObject = {};
      for (const [key, item] of Object.entries(value)) result[key] = this.substituteDeep(item, where);
      return result;
    }
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, where: string, fail: Fail): JsonObject {
  if (!isObject(value)) fail(where, 'must be a JSON object');
  return value as JsonObject;
}

function onlyKeys(value: JsonObject, allowed: readonly string[], where: string, fail: Fail): void {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) fail(where, `unknown key(s) ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
}

function nonEmptyString(value: unknown, where: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '') fail(where, 'must be a non-empty string');
  return value as string;
}

function stringMap(value: unknown, where: string, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(objectAt(value, where, fail))) {
    if (typeof item !== 'string') fail(`${where}.${key}`, 'must be a string');
    result[key] = item as string;
  }
  return result;
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
