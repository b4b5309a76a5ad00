// The mapping in force (core/mapping/mapping-in-force.ts) and the record of reconciles
// (core/sync/reconcile-record.ts): the runtime state the composition root used to keep inline.
import { describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/core/mapping/mapping.js';
import { createMappingInForce, type MappingSource } from '../../src/core/mapping/mapping-in-force.js';
import { createReconcileRecord } from '../../src/core/sync/reconcile-record.js';
import type { ReconcileReport } from '../../src/core/sync/reconcile.js';
import { parseMapping } from '../../src/mapping-file.js';

const first = parseMapping('groups:\n  - scim: Ops\n    dynatraceGroup: DT Ops\n');
const second = parseMapping('groups:\n  - scim: Dev\n    dynatraceGroup: DT Dev\n');

/** A check whose answers the test gives, one per call, when it wants. */
function scriptedCheck() {
  const pending: Array<{ mapping: Mapping; answer: (problems: string[]) => void }> = [];
  return {
    pending,
    check: (mapping: Mapping) => new Promise<readonly string[]>((resolve) => pending.push({ mapping, answer: resolve })),
  };
}

describe('the mapping in force', () => {
  it('when it is checked, then its problems are kept and it counts as checked; before that, neither', async () => {
    const checks = scriptedCheck();
    const inForce = createMappingInForce({ initial: first, check: checks.check });
    expect(inForce.current()).toBe(first);
    expect([inForce.checked(), inForce.problems()]).toEqual([false, []]);
    const checking = inForce.check();
    checks.pending[0]?.answer(['IAM policy "X" does not exist']);
    expect(await checking).toEqual({ problems: ['IAM policy "X" does not exist'] });
    expect([inForce.checked(), inForce.problems()]).toEqual([true, ['IAM policy "X" does not exist']]);
  });

  it('when a check is asked for while one of the same mapping runs, then both share it (one call to Dynatrace), and a later ask checks anew', async () => {
    const checks = scriptedCheck();
    const inForce = createMappingInForce({ initial: first, check: checks.check });
    const [a, b] = [inForce.check(), inForce.check()];
    expect(checks.pending).toHaveLength(1);
    checks.pending[0]?.answer([]);
    expect(await a).toEqual({ problems: [] });
    expect(await b).toEqual({ problems: [] });
    const later = inForce.check();
    expect(checks.pending).toHaveLength(2);
    checks.pending[1]?.answer(['x']);
    expect(await later).toEqual({ problems: ['x'] });
  });

  it('when it is reloaded, then the new mapping is in force, names resolved for the old one are forgotten, and it is checked anew', async () => {
    const checks = scriptedCheck();
    let forgotten = 0;
    const source: MappingSource = { mapping: second };
    const inForce = createMappingInForce({ initial: first, load: () => source, check: checks.check, onReload: () => forgotten++ });
    const reloading = inForce.reload();
    expect(inForce.current()).toBe(second);
    expect(inForce.checked()).toBe(false);
    expect(forgotten).toBe(1);
    expect(checks.pending[0]?.mapping).toBe(second);
    checks.pending[0]?.answer([]);
    expect(await reloading).toEqual({ problems: [] });
    expect(inForce.checked()).toBe(true);
  });

  it('when the file is broken, then a reload keeps the mapping in force (still checked) and answers the file’s problems', async () => {
    const checks = scriptedCheck();
    const inForce = createMappingInForce({ initial: first, load: () => ({ problems: ['groups[0]: scim is required'] }), check: checks.check });
    const checking = inForce.check();
    checks.pending[0]?.answer([]);
    await checking;
    expect(await inForce.reload()).toEqual({ problems: ['groups[0]: scim is required'] });
    expect([inForce.current(), inForce.checked(), checks.pending.length]).toEqual([first, true, 1]);
  });

  it('when a check is overtaken by a reload, then its answer changes nothing', async () => {
    const checks = scriptedCheck();
    const inForce = createMappingInForce({ initial: first, load: () => ({ mapping: second }), check: checks.check });
    const stale = inForce.check();
    const reloading = inForce.reload();
    checks.pending[1]?.answer([]);
    await reloading;
    checks.pending[0]?.answer(['a problem of the old mapping']);
    expect(await stale).toEqual({ problems: ['a problem of the old mapping'] });
    expect([inForce.current(), inForce.problems(), inForce.checked()]).toEqual([second, [], true]);
  });

  it('when it has no source, then a reload checks the same mapping again', async () => {
    const checks = scriptedCheck();
    const inForce = createMappingInForce({ initial: first, check: checks.check });
    const reloading = inForce.reload();
    checks.pending[0]?.answer(['still a problem']);
    expect(await reloading).toEqual({ problems: ['still a problem'] });
    expect(inForce.current()).toBe(first);
  });
});

describe('the record of reconciles', () => {
  it('when a reconcile runs, then its report is the last one; a failed run leaves the last report as it was', async () => {
    const report = { dryRun: true } as unknown as ReconcileReport;
    let fail = false;
    const record = createReconcileRecord(async () => {
      if (fail) throw new Error('Dynatrace unreachable');
      return report;
    });
    expect(record.last()).toBeNull();
    expect(await record.run({ repair: false } as never)).toBe(report);
    expect(record.last()).toBe(report);
    fail = true;
    await expect(record.run({ repair: true } as never)).rejects.toThrow('Dynatrace unreachable');
    expect(record.last()).toBe(report);
  });
});
