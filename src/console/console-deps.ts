// What the operator console reads and acts on, handed over by the composition root (deps.ts).
import type { OidcConfig } from '../config.js';
import type { AccessChain } from '../core/access/access-chain.js';
import type { Mapping } from '../core/mapping/mapping.js';
import type { Readiness } from '../observability/readiness.js';
import type { AppliedStateStore } from '../ports/applied-state.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { ResourceStore } from '../ports/store.js';
import type { SyncQueue } from '../ports/sync-queue.js';

export interface ConsoleDeps {
  /** The roles the pages read: resources, the audit log, applied state, the queue's work per resource. */
  readonly store: ResourceStore & AuditLog & AppliedStateStore & Pick<SyncQueue, 'syncWorkOf'>;
  readonly access: AccessChain;
  readonly readiness: Readiness;
  /** The mapping in force, and its problems as last checked against Dynatrace. */
  readonly mapping: () => Mapping;
  readonly mappingProblems: () => readonly string[];
  /** MAPPING_FILE; null = the default mapping. */
  readonly mappingFile: string | null;
  readonly dryRun: boolean;
  /** Seals the session cookie and keys the CSRF tokens (at least 32 characters). */
  readonly sessionSecret: string;
  readonly sessionTtlSeconds: number;
  readonly oidc: OidcConfig | null;
  readonly publicBaseUrl: string | null;
}
