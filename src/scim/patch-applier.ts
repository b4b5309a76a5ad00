// Applies normalised attribute operations to a resource with scimmy's PatchOp (RFC 7644 §3.5.2),
// then re-validates the result as a whole. Used for Users and for a Group's own attributes only.
import SCIMMY from 'scimmy';
import type { JsonObject } from '../ports/json.js';
import type { PlainOperation } from './patch-normaliser.js';
import { PATCH_OP_SCHEMA } from './patch-request.js';
import { asScimError } from './resource-input.js';
import { configureScimSchemas } from './scim-schemas.js';

/** The resource after `operations`, as JSON (not yet validated for storage). */
export async function applyOperations(
  resourceType: 'User' | 'Group',
  attributes: JsonObject,
  operations: readonly PlainOperation[],
): Promise<JsonObject> {
  if (operations.length === 0) return attributes;
  configureScimSchemas();
  const Schema = resourceType === 'User' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  try {
    const instance = new Schema(attributes);
    const message = new SCIMMY.Messages.PatchOp({
      schemas: [PATCH_OP_SCHEMA],
      Operations: operations.map((o) => ({ ...o })) as SCIMMY.Messages.PatchOp.PatchOpOperation[],
    });
    // scimmy resolves to undefined when the operations change nothing.
    const patched: unknown = await message.apply(instance);
    return patched === undefined ? attributes : (JSON.parse(JSON.stringify(patched)) as JsonObject);
  } catch (error) {
    throw asScimError(error);
  }
}
