// Checks Account Management traffic against the contract derived from Dynatrace's OpenAPI
// description (test/fixtures/dynatrace/account-management.contract.json, tools/derive-dynatrace-contract.ts):
// a request's method, path template, query and body; an answer's status and body. Objects are
// closed — a property the spec does not name is a violation — so that a request carrying an
// undocumented field, or a sandbox answer inventing one, fails.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { FetchFn } from '../../src/adapters/dynatrace/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required?: boolean;
  readonly schema?: Record<string, Json>;
}

export interface ContractOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly requestBody: { readonly required: boolean; readonly schema: Json } | null;
  readonly responses: Readonly<Record<string, Json>>;
}

interface ContractFile {
  readonly source: Readonly<Record<string, string>>;
  readonly operations: readonly ContractOperation[];
  readonly components: { readonly schemas: Record<string, Json> };
}

export const contract = JSON.parse(readFileSync(new URL('../fixtures/dynatrace/account-management.contract.json', import.meta.url), 'utf8')) as ContractFile;

/** The spec's `query-params` (type object) is sent as `parameters[name]=…` and `metadata[name]=…` pairs (its documented example). */
const BRACKETED = /^(parameters|metadata)\[[^\]]+\]$/;

function closed(value: Json): Json {
  if (Array.isArray(value)) return value.map(closed);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(value)) out[key] = key === 'properties' && typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, p]) => [k, closed(p)])) : closed(v);
  const props = out['properties'];
  if (typeof props === 'object' && props !== null && Object.keys(props).length > 0 && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'contract', components: { schemas: closed(contract.components.schemas) } });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: Json): ValidateFunction {
  let v = compiled.get(key);
  if (v === undefined) {
    v = ajv.compile({ $id: `contract-${key}`, ...(closed(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"contract#/components/')) as Json) as object) });
    compiled.set(key, v);
  }
  return v;
}

function schemaProblems(key: string, schema: Json, value: unknown): string[] {
  const validate = validatorFor(key, schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params['additionalProperty'])}` : ''}`);
}

interface Match {
  readonly operation: ContractOperation;
  readonly params: Record<string, string>;
}

/** The operation a method and path (relative to the API base) name; the most literal template wins. */
export function findOperation(method: string, pathname: string): Match | null {
  const segments = pathname.split('/').filter((s) => s !== '');
  const matches: Array<Match & { literal: number }> = [];
  for (const operation of contract.operations) {
    if (operation.method !== method) continue;
    const template = operation.path.split('/').filter((s) => s !== '');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literal = 0;
    const ok = template.every((part, i) => {
      const seg = segments[i] ?? '';
      if (part.startsWith('{')) {
        params[part.slice(1, -1)] = decodeURIComponent(seg);
        return seg !== '';
      }
      literal += 1;
      return part === seg;
    });
    if (ok) matches.push({ operation, params, literal });
  }
  matches.sort((a, b) => b.literal - a.literal);
  return matches[0] ?? null;
}

function valueProblem(name: string, schema: Record<string, Json> | undefined, value: string): string | null {
  const type = schema?.['type'] ?? (typeof schema?.['default'] === 'boolean' ? 'boolean' : undefined);
  if (type === 'integer' && !/^-?\d+$/.test(value)) return `query ${name}=${value} is not an integer`;
  if (type === 'integer') {
    const n = Number(value);
    if (typeof schema?.['minimum'] === 'number' && n < schema['minimum']) return `query ${name}=${value} is below ${schema['minimum']}`;
    if (typeof schema?.['maximum'] === 'number' && n > schema['maximum']) return `query ${name}=${value} is above ${schema['maximum']}`;
  }
  if (type === 'boolean' && value !== 'true' && value !== 'false') return `query ${name}=${value} is not a boolean`;
  const allowed = schema?.['enum'];
  if (Array.isArray(allowed) && !allowed.includes(value)) return `query ${name}=${value} is not one of ${allowed.join(', ')}`;
  return null;
}

/** Problems of one request (empty when it is what the contract describes). */
export function requestProblems(request: { method: string; pathname: string; query: URLSearchParams; body: string | undefined }): string[] {
  const match = findOperation(request.method, request.pathname);
  if (match === null) return [`${request.method} ${request.pathname}: no such operation in the contract`];
  const { operation } = match;
  const where = `${operation.operationId}`;
  const problems: string[] = [];
  const query = operation.parameters.filter((p) => p.in === 'query');
  const bracketed = query.some((p) => p.schema?.['type'] === 'object');
  for (const key of new Set(request.query.keys())) {
    const declared = query.find((p) => p.name === key);
    if (declared === undefined) {
      if (!(bracketed && BRACKETED.test(key))) problems.push(`${where}: query ${key} is not a parameter of the operation`);
      continue;
    }
    const values = request.query.getAll(key);
    if (values.length > 1 && declared.schema?.['type'] !== 'array') problems.push(`${where}: query ${key} repeated`);
    const itemSchema = declared.schema?.['type'] === 'array' ? (declared.schema['items'] as Record<string, Json> | undefined) : declared.schema;
    for (const v of values) {
      const problem = valueProblem(key, itemSchema, v);
      if (problem !== null) problems.push(`${where}: ${problem}`);
    }
  }
  for (const p of query) if (p.required === true && !request.query.has(p.name)) problems.push(`${where}: required query ${p.name} missing`);
  const hasBody = request.body !== undefined && request.body.trim() !== '';
  if (operation.requestBody === null) {
    if (hasBody) problems.push(`${where}: sends a body the operation does not take`);
  } else if (!hasBody) {
    if (operation.requestBody.required) problems.push(`${where}: required body missing`);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body as string);
    } catch {
      return [...problems, `${where}: body is not JSON`];
    }
    problems.push(...schemaProblems(`${operation.operationId}-request`, operation.requestBody.schema, parsed).map((p) => `${where} request ${p}`));
  }
  return problems;
}

export interface AnswerCheck {
  readonly problems: string[];
  /** True when the status is not among the operation's documented ones (an error the spec does not describe). */
  readonly undocumented: boolean;
}

/** Problems of an answer to `operation`: a documented status with a body in its schema, or an undocumented error status. */
export function answerProblems(operation: ContractOperation, status: number, text: string): AnswerCheck {
  const where = `${operation.operationId} ${status}`;
  if (!(String(status) in operation.responses)) {
    return status >= 200 && status < 300 ? { problems: [`${where}: success status not documented`], undocumented: true } : { problems: [], undocumented: true };
  }
  const schema = operation.responses[String(status)] ?? null;
  const empty = text.trim() === '';
  if (schema === null) return { problems: empty ? [] : [`${where}: documented without a body, but has one`], undocumented: false };
  if (empty) return { problems: [`${where}: body missing`], undocumented: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problems: [`${where}: body is not JSON`], undocumented: false };
  }
  return { problems: schemaProblems(`${operation.operationId}-${status}`, schema, parsed).map((p) => `${where} ${p}`), undocumented: false };
}

export interface ContractRecorder {
  /** A fetch that checks every Account Management request (and, when asked, answer) and passes it on. */
  readonly fetch: FetchFn;
  readonly violations: string[];
  /** operationId → statuses answered. */
  readonly seen: Map<string, Set<number>>;
  /** `operationId status` of answers with an undocumented error status. */
  readonly undocumented: Set<string>;
}

/**
 * Wraps `inner` (the test's fetch): requests under `apiBase` are checked against the contract, and so
 * are their answers when `checkAnswers` is true (the sandbox in its spec response style).
 */
export function recordAgainstContract(inner: FetchFn, options: { apiBase: string; checkAnswers: () => boolean }): ContractRecorder {
  const violations: string[] = [];
  const seen = new Map<string, Set<number>>();
  const undocumented = new Set<string>();
  const base = new URL(options.apiBase);
  return {
    violations,
    seen,
    undocumented,
    fetch: async (input, init) => {
      const url = new URL(input);
      const isAccountManagement = url.origin === base.origin && /^\/(iam|env)\//.test(url.pathname);
      const response = await inner(input, init);
      if (!isAccountManagement) return response;
      const method = init.method ?? 'GET';
      violations.push(...requestProblems({ method, pathname: url.pathname, query: url.searchParams, body: typeof init.body === 'string' ? init.body : undefined }));
      const match = findOperation(method, url.pathname);
      if (match === null) return response;
      const statuses = seen.get(match.operation.operationId) ?? new Set<number>();
      statuses.add(response.status);
      seen.set(match.operation.operationId, statuses);
      if (!options.checkAnswers()) return response;
      const text = await response.clone().text();
      const answer = answerProblems(match.operation, response.status, text);
      violations.push(...answer.problems);
      if (answer.undocumented) undocumented.add(`${match.operation.operationId} ${response.status}`);
      return response;
    },
  };
}
