// A users or groups row as both SQL engines select it, and the StoredResource it becomes: the
// attributes are parsed only when something reads them, and their stored JSON text stays at hand
// (non-enumerable) for a renderer that can splice it into an answer as it is.
import type { JsonObject } from '../../ports/json.js';
import type { StoredResource } from '../../ports/store.js';

export interface ResourceRow {
  readonly id: string;
  readonly version: number;
  readonly created: string;
  readonly last_modified: string;
  /** JSON.stringify of the attributes, as written. */
  readonly attributes: string;
}

export function storedOfRow(row: ResourceRow): StoredResource {
  const json = row.attributes;
  let attributes: JsonObject | undefined;
  const record = {
    id: row.id,
    version: row.version,
    created: row.created,
    lastModified: row.last_modified,
    get attributes(): JsonObject {
      attributes ??= JSON.parse(json) as JsonObject;
      return attributes;
    },
  };
  Object.defineProperty(record, 'attributesJson', { value: json, enumerable: false });
  return record;
}
