// Every upstream write goes through here: it is made (or, in dry-run, only described) and recorded
// in the audit log with the SCIM resource and request that caused it.
import type { AuditEntry, AuditLog } from '../../ports/audit-log.js';
import type { SyncItem } from '../../ports/sync-queue.js';
import { UpstreamError } from '../../ports/upstream-error.js';

export interface WriteContext {
  readonly store: AuditLog;
  readonly item: SyncItem;
  readonly dryRun: boolean;
  readonly now: () => Date;
  readonly stopSignal?: AbortSignal;
}

export interface WriteDescription {
  /** The upstream operation, e.g. `createUser`. */
  readonly operation: string;
  /** An email, a group name or UUID. */
  readonly target: string;
  readonly detail?: string;
}

/**
 * Runs `call` and audits it; in dry-run audits only and resolves to null. Failures are audited and
 * rethrown, except a call abandoned at shutdown.
 */
export async function auditedWrite<T>(context: WriteContext, description: WriteDescription, call: () => Promise<T>): Promise<T | null> {
  if (context.dryRun) {
    await record(context, description, 'dry-run', description.detail ?? null);
    return null;
  }
  try {
    const result = await call();
    await record(context, description, 'applied', description.detail ?? null);
    return result;
  } catch (error) {
    // Abandoned at shutdown while waiting for the rate budget or a retry: nothing happened worth an entry.
    if (context.stopSignal?.aborted === true && error === context.stopSignal.reason) throw error;
    const reason = error instanceof UpstreamError ? `${error.code}${error.status === null ? '' : ` (HTTP ${error.status})`}` : 'error';
    await record(context, description, 'failed', reason);
    throw error;
  }
}

/** Records a write the bridge deliberately did not make (a guard rail). */
export async function auditSkipped(context: WriteContext, description: WriteDescription, reason: string): Promise<void> {
  await record(context, description, 'skipped', reason);
}

async function record(
  context: WriteContext,
  description: WriteDescription,
  outcome: AuditEntry['outcome'],
  detail: string | null,
): Promise<void> {
  await context.store.appendAudit([
    {
      at: context.now().toISOString(),
      requestId: context.item.requestId,
      resourceType: context.item.resourceType,
      resourceId: context.item.resourceId,
      operation: description.operation,
      target: description.target,
      outcome,
      detail,
    },
  ]);
}
