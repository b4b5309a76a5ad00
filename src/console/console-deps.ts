// What the operator console reads and acts on, handed over by the composition root (deps.ts).
import type { OidcConfig } from '../config.js';
import type { AccessChain } from '../core/access/access-chain.js';
import type { Mapping } from '../core/mapping/mapping.js';
import type { Readiness } from '../observability/readiness.js';
import type { Store } from '../ports/store.js';

export interface ConsoleDeps {
  readonly store: Store;
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
