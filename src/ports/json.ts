// JSON values as they cross the store port: SCIM resources are JSON documents (RFC 7643 §2).
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A JSON object (not null, not an array): the one guard for parsed input and stored documents alike. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
