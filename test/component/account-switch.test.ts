// The account the applied state belongs to: a bridge started on the same DATA_DIR against another
// Dynatrace account (here: sandbox A, then sandbox B) says so in its log, forgets what it applied to
// A and provisions B whole; started against the same account again, it changes nothing.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { accountIdentity } from '../../src/core/sync/applied-account.js';
import { loadMappingFile } from '../../src/mapping-file.js';
import { accountSnapshot } from '../helpers/account-snapshot.js';
import { createManualClock, makeDataDir, removeDataDir, startBridgeProcess, startSharedSandbox } from '../helpers/bridge-process.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { groupBody, userBody } from '../helpers/scim-builders.js';

const cleanups = cleanupsAfterEach();

const MAPPING = loadMappingFile(fileURLToPath(new URL('../fixtures/mapping/limited-binding.yaml', import.meta.url)));

describe('the account the applied state belongs to', () => {
  it('when the bridge is started on sandbox A, then on sandbox B with the same data directory, then B ends fully provisioned and the switch is logged', async () => {
    const clock = createManualClock();
    const dataDir = makeDataDir();
    const a = await startSharedSandbox({ clock });
    const b = await startSharedSandbox({ clock });
    cleanups.push(() => removeDataDir(dataDir), () => a.stop(), () => b.stop());
    expect(b.accountUuid).not.toBe(a.accountUuid);

    const first = await startBridgeProcess({ sandbox: a, dataDir, clock, mapping: MAPPING, davis: true });
    const ann = (await first.scim('POST', '/Users', userBody('ann@example.com'))).body.id;
    const ben = (await first.scim('POST', '/Users', userBody('ben@example.com'))).body.id;
    await first.scim('POST', '/Groups', groupBody('Ops', [ann, ben]));
    await first.scim('POST', '/Groups', groupBody('Dev', [ben]));
    await first.settle();
    const provisioned = accountSnapshot(a.state);
    expect(provisioned.users.map((u) => u.email)).toEqual(['ann@example.com', 'ben@example.com']);
    expect(provisioned.davis.map((u) => u.email)).toEqual(['ann@example.com', 'ben@example.com']);
    await first.close();

    const second = await startBridgeProcess({ sandbox: b, dataDir, clock, mapping: MAPPING, davis: true });
    cleanups.push(() => second.close());
    expect(second.logLines.some((line) => line.includes('"level":"warn"') && line.includes(`"previousAccount":"${accountIdentity(a.url, a.accountUuid)}"`) && line.includes('"queued":4'))).toBe(true);
    expect(await second.store.getAppliedAccount()).toBe(accountIdentity(b.url, b.accountUuid));
    await second.settle();
    expect(accountSnapshot(b.state)).toEqual(provisioned);
    const ops = b.state.findGroupByName('Ops')?.uuid ?? '';
    expect(b.state.bindingDetailsOf('environment', 'abc12345', ops)).toEqual([expect.objectContaining({ boundaries: [b.state.findBoundary('Production zone')?.uuid] })]);
    // A keeps what it had: the bridge never wrote to it again.
    expect(accountSnapshot(a.state)).toEqual(provisioned);
    await second.close();

    const third = await startBridgeProcess({ sandbox: b, dataDir, clock, mapping: MAPPING, davis: true });
    cleanups.push(() => third.close());
    const before = b.state.requestLog.length;
    expect(await third.store.syncQueueStats({ failedLimit: 1 })).toMatchObject({ depth: 0 });
    await third.settle();
    expect(b.state.requestLog.slice(before).filter((r) => r.method !== 'GET' && r.service !== 'oauth')).toEqual([]);
    expect(third.logLines.some((line) => line.includes('previousAccount'))).toBe(false);
  });
});
