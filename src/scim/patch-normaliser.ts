// Rewrites PATCH operations from any IdP dialect into per-path operations (RFC 7644 §3.5.2): a
// path-less value is split into one operation per key, its dotted (`name.givenName`) and URN keys
// included, as Entra's `aadOptscim062020` dialect and Okta send them.
import type { JsonObject, JsonValue } from '../ports/json.js';
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

/** Splits path-less operations into one operation per attribute path (an extension's object is one operation on the extension). */
export function splitPathless(operations: readonly PatchOperation[]): PathOperation[] {
  const result: PathOperation[] = [];
  for (const operation of operations) {
    if (operation.path !== null) {
      result.push({ op: operation.op, path: operation.path, value: operation.value, fromPathless: false });
      continue;
    }
    for (const [key, value] of Object.entries(operation.value as JsonObject)) {
      if (ECHOED.has(key.toLowerCase())) continue;
      result.push({ op: operation.op, path: key, value, fromPathless: true });
    }
  }
  return result;
}
