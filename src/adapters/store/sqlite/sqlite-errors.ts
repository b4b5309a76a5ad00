// Translates better-sqlite3 failures into StoreError, so no raw driver error leaves the engine:
// UNIQUE violations become 'conflict' naming the SCIM attribute, anything else 'unavailable'.
import Database from 'better-sqlite3';
import { StoreError } from '../../../ports/store.js';

/** `table.column` of a UNIQUE constraint → the SCIM attribute it guards. */
const uniqueAttributes: Readonly<Record<string, string>> = {
  'users.id': 'id',
  'users.user_name_key': 'userName',
  'groups.id': 'id',
  'groups.display_name_key': 'displayName',
};

/** The StoreError to throw for `error`; StoreErrors pass through unchanged. */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof Database.SqliteError && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(error.code)) {
    const column = /constraint failed: ([\w.]+)/.exec(error.message)?.[1];
    const attribute = column === undefined ? undefined : uniqueAttributes[column];
    if (attribute !== undefined) {
      return new StoreError('conflict', `${attribute} is taken`, { attribute, cause: error });
    }
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new StoreError('unavailable', `the SQLite store failed: ${detail}`, { cause: error });
}
