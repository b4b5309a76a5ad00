// Applied-state rows as the SQL engines store them (lists and objects as JSON text), and their
// conversion back to the port's types; shared by SQLite and PostgreSQL.
import type { AppliedBinding, AppliedGroup, AppliedUser, Provenance } from '../../ports/applied-state.js';
import type { JsonObject } from '../../ports/json.js';

export interface AppliedUserRow {
  readonly userId: string;
  readonly email: string;
  readonly uid: string | null;
  readonly provenance: Provenance;
  readonly groupUuids: string;
  readonly davis: string | null;
}

export interface AppliedGroupRow {
  readonly groupId: string;
  readonly uuid: string;
  readonly name: string;
  readonly provenance: Provenance;
  readonly bindings: string;
}

export function appliedUserOf(row: AppliedUserRow): AppliedUser {
  return {
    userId: row.userId,
    email: row.email,
    uid: row.uid,
    provenance: row.provenance,
    groupUuids: JSON.parse(row.groupUuids) as string[],
    davis: row.davis === null ? null : (JSON.parse(row.davis) as JsonObject),
  };
}

export function appliedGroupOf(row: AppliedGroupRow): AppliedGroup {
  return {
    groupId: row.groupId,
    uuid: row.uuid,
    name: row.name,
    provenance: row.provenance,
    bindings: bindingsOf(JSON.parse(row.bindings) as Record<string, Array<string | AppliedBinding>>),
  };
}

/** Rows written before bindings had details hold bare policy UUIDs: bindings the bridge made without its metadata. */
function bindingsOf(stored: Record<string, Array<string | AppliedBinding>>): Record<string, AppliedBinding[]> {
  return Object.fromEntries(
    Object.entries(stored).map(([level, entries]) => [
      level,
      entries.map((entry) => (typeof entry === 'string' ? { policyUuid: entry, boundaries: [], parameters: {}, unmarked: true as const } : entry)),
    ]),
  );
}
