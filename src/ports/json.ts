// JSON values as they cross the store port: SCIM resources are JSON documents (RFC 7643 §2).
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
