// Translates node-postgres failures into StoreError, so no raw driver error leaves the engine:
// unique_violation on a SCIM key becomes 'conflict' naming the attribute, anything else (connection
// refused or lost, timeouts, the server shutting down, …) 'unavailable' with the driver error as cause.
import pg from 'pg';
import { StoreError } from '../../../ports/store.js';

/** Named UNIQUE constraints (migrations.ts) → the SCIM attribute they guard. */
const uniqueAttributes: Readonly<Record<string, string>> = {
  users_id_unique: 'id',
  users_user_name_key_unique: 'userName',
  groups_id_unique: 'id',
  groups_display_name_key_unique: 'displayName',
};

/** SQLSTATEs after which the whole transaction may simply be run again (deadlock, serialization). */
const retryableStates: ReadonlySet<string> = new Set(['40001', '40P01']);

/** An error the server reported (it has a SQLSTATE): the connection itself is still usable. */
export function isServerError(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError;
}

/** A deadlock or serialization failure: the transaction was rolled back and can be retried as a whole. */
export function isRetryable(error: unknown): boolean {
  return isServerError(error) && error.code !== undefined && retryableStates.has(error.code);
}

/**
 * Whether `error` (a driver error) says the server could not be reached or would not take a
 * connection yet — refused, timed out, unknown host, starting up or shutting down, too many
 * connections — rather than refusing the bridge (credentials, database, privileges, a bad statement).
 */
export function isUnreachable(error: unknown): boolean {
  if (!isServerError(error)) return error instanceof Error;
  const state = error.code ?? '';
  return state.startsWith('08') || state.startsWith('57P') || state === '53300';
}

/** The StoreError to throw for `error`; StoreErrors pass through unchanged. */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  if (isServerError(error) && error.code === '23505' && error.constraint !== undefined) {
    const attribute = uniqueAttributes[error.constraint];
    if (attribute !== undefined) return new StoreError('conflict', `${attribute} is taken`, { attribute, cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new StoreError('unavailable', `the PostgreSQL store failed: ${detail || 'connection failed'}`, { cause: error });
}
