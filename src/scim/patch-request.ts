// Parses a PatchOp message (RFC 7644 §3.5.2) into operations, accepting both IdP dialects:
// `op` in any case (Entra sends "Replace"), with or without `path`.
import { isJsonObject, type JsonValue } from '../ports/json.js';
import { ScimError } from './scim-error.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The most operations one PATCH may carry (a bound on work per request). */
export const MAX_PATCH_OPERATIONS = 10_000;

export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string | null;
  /** Absent when the client sent none (legal only for remove). */
  readonly value: JsonValue | undefined;
}

export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isJsonObject(body)) throw new ScimError(400, 'invalidSyntax', 'the request body must be a PatchOp JSON object');
  const schemasKey = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const schemas = schemasKey === undefined ? undefined : body[schemasKey];
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase()))) {
    throw new ScimError(400, 'invalidSyntax', `schemas must contain ${PATCH_OP_SCHEMA}`);
  }
  const operationsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = operationsKey === undefined ? undefined : body[operationsKey];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw new ScimError(400, 'invalidSyntax', `a PATCH may carry at most ${MAX_PATCH_OPERATIONS} operations`);
  }
  return operations.map((operation, index) => parseOperation(operation, index + 1));
}

function parseOperation(operation: JsonValue, position: number): PatchOperation {
  if (!isJsonObject(operation)) throw new ScimError(400, 'invalidSyntax', `operation ${position} must be an object`);
  const field = (name: string): JsonValue | undefined => {
    const key = Object.keys(operation).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : operation[key];
  };
  const op = field('op');
  const kind = typeof op === 'string' ? op.trim().toLowerCase() : '';
  if (kind !== 'add' && kind !== 'remove' && kind !== 'replace') {
    throw new ScimError(400, 'invalidSyntax', `operation ${position}: op must be add, remove or replace`);
  }
  const path = field('path');
  if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === '')) {
    throw new ScimError(400, 'invalidPath', `operation ${position}: path must be a non-empty string`);
  }
  const value = field('value');
  const text = typeof path === 'string' ? path.trim() : null;
  if (text === null && kind === 'remove') throw new ScimError(400, 'noTarget', `operation ${position}: remove needs a path`);
  if (text === null && !isJsonObject(value)) {
    throw new ScimError(400, 'invalidValue', `operation ${position}: ${kind} without a path needs an object value`);
  }
  return { op: kind, path: text, value };
}
