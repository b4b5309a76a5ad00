// Rewrites PATCH operations from any IdP dialect into per-path operations (RFC 7644 §3.5.2): a
// path-less value is split into one operation per key, its dotted (`name.givenName`) and URN keys
// included, as Entra's `aadOptscim062020` dialect and Okta send them.
import { isJsonObject, type JsonObject, type JsonValue } from '../ports/json.js';
import type { PatchOperation } from './patch-request.js';

/** Echoed by clients inside path-less values (Okta's group rename sends `id`): skipped there. */
const ECHOED = new Set(['id', 'meta', 'schemas', 'groups']);

export interface PathOperation {
  readonly op: PatchOperation['op'];
  readonly path: string;
  readonly value: JsonValue | undefined;
  /** Split out of a path-less value: an unknown attribute there is ignored, as on POST and PUT. */
  readonly fromPathless: boolean;
}

/**
 * Splits path-less operations into one operation per attribute path (an extension's object is one
 * operation on the extension). The core schema's URN as the path, or as a key of a path-less value,
 * with an object value stands for the resource itself (its attributes are top-level, RFC 7643 §3).
 */
export function splitPathless(operations: readonly PatchOperation[], coreSchema: string): PathOperation[] {
  const result: PathOperation[] = [];
  const isCore = (text: string) => text.toLowerCase() === coreSchema.toLowerCase();
  const split = (op: PatchOperation['op'], value: JsonObject): void => {
    for (const [key, item] of Object.entries(value)) {
      if (ECHOED.has(key.toLowerCase())) continue;
      if (isCore(key) && isJsonObject(item)) split(op, item);
      else result.push({ op, path: key, value: item, fromPathless: true });
    }
  };
  for (const operation of operations) {
    if (operation.path === null || (isCore(operation.path) && isJsonObject(operation.value))) split(operation.op, operation.value as JsonObject);
    else result.push({ op: operation.op, path: operation.path, value: operation.value, fromPathless: false });
  }
  return result;
}
