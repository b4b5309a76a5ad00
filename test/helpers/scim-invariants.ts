// Named expectations every SCIM answer must meet (RFC 7644 §3.1 media type, §3.12 error body), and a
// fingerprint of the whole store, to assert that a rejected request wrote nothing.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { ERROR_URN, LIST_URN } from './scim-builders.js';
import { parseJson } from './scim-client.js';
import { TEST_TOKEN, type ScimResponse, type TestBridge } from './test-bridge.js';

/** RFC 7644 §3.12 Table 9. */
const SCIM_TYPES = new Set([
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
]);

/** A JS stack frame (`    at fn (/file.ts:1:2)`) or an `Error:`-style prefix, i.e. internals leaking into a body. */
const STACK_FRAME = /\n\s+at \S|\((?:file:\/\/)?\/[^)]*:\d+:\d+\)/;
const ERROR_PREFIX = /^(?:[A-Z][A-Za-z]*)?Error: /;

/** Any answer: below 500, and SCIM JSON unless it is a 204 or 304 without a body. */
export function expectScimAnswer(response: ScimResponse, context = ''): void {
  expect(response.status, `status of ${context}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
  if (response.status === 204 || response.status === 304) {
    expect(response.text, `${response.status} body of ${context}`).toBe('');
    return;
  }
  expect(response.headers.get('content-type') ?? '', `content type of ${context}`).toBe('application/scim+json');
  expect(response.body, `parsed body of ${context}: ${response.text.slice(0, 300)}`).toBeTypeOf('object');
  expect(response.body, `parsed body of ${context}`).not.toBeNull();
  expect(response.text, `body of ${context}`).not.toMatch(STACK_FRAME);
  if (response.status >= 400) expectErrorBody(response, context);
  else expect(Array.isArray(response.body.schemas), `schemas of ${context}`).toBe(true);
}

/** RFC 7644 §3.12: schemas = [Error URN], status as a string equal to the HTTP status, a string detail. */
export function expectErrorBody(response: ScimResponse, context = ''): void {
  const body = response.body as Record<string, unknown>;
  expect(body.schemas, `error schemas of ${context}`).toEqual([ERROR_URN]);
  expect(body.status, `error status of ${context}`).toBe(String(response.status));
  expect(body.detail, `error detail of ${context}`).toBeTypeOf('string');
  expect(body.detail as string, `error detail of ${context}`).not.toMatch(ERROR_PREFIX);
  if (body.scimType !== undefined) expect(SCIM_TYPES.has(body.scimType as string), `scimType ${String(body.scimType)} of ${context}`).toBe(true);
}

/** A SCIM error with exactly this status and scimType (undefined: none). */
export function expectScimError(response: ScimResponse, status: number, scimType: string | undefined, context = ''): void {
  expectScimAnswer(response, context);
  expect({ status: response.status, scimType: response.body?.scimType }, `${context}: ${response.text.slice(0, 300)}`).toEqual({
    status,
    scimType,
  });
}

/** A ListResponse (RFC 7644 §3.4.2) with consistent integer paging fields. */
export function expectListResponse(response: ScimResponse, context = ''): void {
  expectScimAnswer(response, context);
  expect(response.status, context).toBe(200);
  const body = response.body as Record<string, unknown>;
  expect(body.schemas, context).toEqual([LIST_URN]);
  expect(Number.isInteger(body.totalResults) && (body.totalResults as number) >= 0, `totalResults of ${context}`).toBe(true);
  expect(Number.isInteger(body.startIndex) && (body.startIndex as number) >= 1, `startIndex of ${context}`).toBe(true);
  expect(Array.isArray(body.Resources), `Resources of ${context}`).toBe(true);
  const resources = body.Resources as Array<Record<string, unknown>>;
  expect(body.itemsPerPage, `itemsPerPage of ${context}`).toBe(resources.length);
  for (const resource of resources) {
    expect(resource.id, `resource id in ${context}`).toBeTypeOf('string');
    expect(Array.isArray(resource.schemas), `resource schemas in ${context}`).toBe(true);
  }
}

/**
 * Everything a write could change, hashed: every user and group with its version, timestamps and
 * attributes, and every group's member list. Equal fingerprints = nothing was written.
 */
export async function storeFingerprint(store: Store): Promise<string> {
  const users = await store.findUsers({ where: null, offset: 0, limit: 1_000_000 });
  const groups = await store.findGroups({ where: null, offset: 0, limit: 1_000_000 });
  const members = await store.membersOfGroups(groups.map((g) => g.id));
  const hash = createHash('sha256');
  let versions = 0;
  for (const u of users) {
    versions += u.version;
    hash.update(JSON.stringify(['User', u.id, u.version, u.created, u.lastModified, u.attributes]));
  }
  for (const g of groups) {
    versions += g.version;
    hash.update(JSON.stringify(['Group', g.id, g.version, g.created, g.lastModified, g.attributes, members.get(g.id) ?? []]));
  }
  return `users=${users.length} groups=${groups.length} versions=${versions} sha256=${hash.digest('hex')}`;
}

/** Sends raw bytes or text with an explicit (or no) Content-Type and any headers, bypassing JSON serialisation. */
export async function sendRaw(
  bridge: TestBridge,
  method: string,
  route: string,
  body: string | Uint8Array | undefined,
  contentType: string | null = 'application/scim+json',
  extraHeaders: Record<string, string> = {},
): Promise<ScimResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}`, ...extraHeaders };
  if (contentType !== null) headers['content-type'] = contentType;
  const response = await fetch(`${bridge.base}${route}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseJson(text), text };
}


/** Own properties of Object.prototype, to detect prototype pollution through `__proto__` keys. */
export function prototypeKeys(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}
