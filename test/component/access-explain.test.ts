// "Why does this person have this access?" as an API and a command: GET /admin/users/{id}/access over
// HTTP (admin token only, 404 for an unknown id), and `explain` run as its own process on the bridge's
// SQLite file and mapping file, printing the same chain.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMapping } from '../../src/mapping-file.js';
import { groupBody, userBody } from '../helpers/scim-builders.js';
import { buildBridge, type BuiltBridge } from '../helpers/spawned-bridge.js';
import { startTestBridge, TEST_ADMIN_TOKEN, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';

const run = promisify(execFile);

const MAPPING = readFileSync('test/fixtures/mapping/console.yaml', 'utf8');

describe('the access chain as an API and a command', () => {
  let bridge: TestBridge;
  let explain: BuiltBridge;
  let adaId: string;
  let mappingFile: string;

  beforeAll(async () => {
    explain = buildBridge('src/explain-cli.ts');
    bridge = await startTestBridge({ mapping: parseMapping(MAPPING) });
    mappingFile = path.join(bridge.dataDir, 'mapping.yaml');
    writeFileSync(mappingFile, MAPPING);
    adaId = (await bridge.scim('POST', '/Users', userBody('ada@example.com'))).body.id;
    await bridge.scim('POST', '/Groups', groupBody('Observability Admins', [adaId]));
    await bridge.worker.drain();
  }, 120_000);

  afterAll(async () => {
    await bridge?.close();
    explain?.remove();
  });

  const access = (id: string, token: string) => fetch(`${bridge.url}/admin/users/${id}/access`, { headers: { authorization: `Bearer ${token}` } });

  it('when an operator asks for a person, then the chain comes as JSON, each step applied; an unknown id is 404; the SCIM token is refused', async () => {
    const response = await access(adaId, TEST_ADMIN_TOKEN);
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(body.account).toEqual({ email: 'ada@example.com', present: true, status: 'applied' });
    expect(body.groups[0]).toMatchObject({
      scimGroup: { id: expect.any(String), displayName: 'Observability Admins' },
      rule: { index: 0, text: 'scim: "Observability Admins"' },
      dynatraceGroup: { name: 'DT Observability Admins', status: 'applied' },
      membership: 'applied',
      levels: [
        { level: 'account', policies: [{ name: 'Standard User', uuid: expect.any(String), boundaries: [], parameters: {}, status: 'applied', problem: null }] },
        { level: 'environment:abc12345', policies: [{ name: 'Pro User', uuid: expect.any(String), boundaries: [], parameters: {}, status: 'applied', problem: null }] },
      ],
    });
    expect(body.pending).toEqual([]);
    const unknown = await access('no-such-user', TEST_ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).detail).toBe('no SCIM user with id "no-such-user"');
    expect((await access(adaId, TEST_TOKEN)).status).toBe(401);
  });

  it('when explain is run with a userName, then it prints the chain; with --json, the API\'s answer; an unknown person exits 1', async () => {
    const env = { ...process.env, DATA_DIR: bridge.dataDir, MAPPING_FILE: mappingFile, LOG_LEVEL: 'silent' };
    const text = await run(process.execPath, [explain.entry, 'ADA@example.com'], { env });
    expect(text.stdout).toContain('Dynatrace account ada@example.com: exists — applied');
    expect(text.stdout).toContain('→ mapping rule groups[0] scim: "Observability Admins"');
    expect(text.stdout).toContain('→ Dynatrace group "DT Observability Admins" — applied; membership — applied');
    expect(text.stdout).toMatch(/→ account: policy "Standard User" [0-9a-f-]{36} — applied/);
    const json = await run(process.execPath, [explain.entry, 'ada@example.com', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual(await (await access(adaId, TEST_ADMIN_TOKEN)).json());
    const unknown = await run(process.execPath, [explain.entry, 'nobody@example.com'], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(unknown).toMatchObject({ code: 1, stderr: 'no SCIM user has the userName, email or id "nobody@example.com"\n' });
  }, 60_000);
});
