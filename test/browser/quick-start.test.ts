// The README's promise, end to end: the bridge process started on embedded defaults (nothing configured,
// sandbox Dynatrace) prints a SCIM token and an admin token; the IdP's requests create a user in a
// group; a person opens /console in Chromium, signs in with the printed admin token, and sees the user,
// their group, the Dynatrace access it gives them, and that it was applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_AVAILABLE, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { makeDataDir, removeDataDir } from '../helpers/bridge-process.js';
import { groupBody, userBody } from '../helpers/scim-builders.js';
import { scimRequest } from '../helpers/scim-client.js';
import { buildBridge, spawnBridge, type BuiltBridge, type SpawnedBridge } from '../helpers/spawned-bridge.js';

/** The token printed after `label` on first start (the line below it, indented). */
function printedToken(output: string, label: string): string {
  const match = new RegExp(`${label}[^\\n]*\\n\\n  (\\S+)\\n`).exec(output);
  if (match === null) throw new Error(`no "${label}" in the output`);
  return match[1] as string;
}

describe.skipIf(!BROWSER_AVAILABLE)('the quick start, in a browser', () => {
  let built: BuiltBridge;
  let bridge: SpawnedBridge;
  let browser: TestBrowser;
  let dataDir: string;

  beforeAll(async () => {
    built = buildBridge();
    dataDir = makeDataDir();
    bridge = await spawnBridge(built.entry, { DATA_DIR: dataDir, SYNC_COALESCE_MS: '0' });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.kill();
    built?.remove();
    if (dataDir) removeDataDir(dataDir);
  });

  it('when a person signs in with the printed admin token, then they see the user the IdP created, their group, its Dynatrace access, applied', async () => {
    const output = bridge.output();
    const scimToken = printedToken(output, 'No SCIM_TOKENS configured: generated a SCIM bearer token');
    const adminToken = printedToken(output, 'No ADMIN_TOKENS configured: generated an admin token');
    expect(adminToken).not.toBe(scimToken);
    const base = `${bridge.url}/scim/v2`;
    const ada = await scimRequest(base, scimToken, 'POST', '/Users', userBody('ada@example.com'));
    expect(ada.status).toBe(201);
    expect((await scimRequest(base, scimToken, 'POST', '/Groups', groupBody('Observability Admins', [ada.body.id]))).status).toBe(201);

    const { page } = browser;
    await page.goto(`${bridge.url}/console`);
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${bridge.url}/console`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('link', { name: 'ada@example.com' }).click();
    // The worker applies the change within moments; the page says so once it has.
    await expect
      .poll(async () => {
        await page.reload();
        return page.getByTestId('membership').textContent();
      }, { timeout: 15_000 })
      .toBe('applied');
    expect(await page.getByTestId('account-status').textContent()).toBe('applied');
    expect(await page.getByTestId('dynatrace-group').textContent()).toBe('Observability Admins');
    expect(await page.getByTestId('chain').textContent()).toContain('unmatchedGroups: mirror');
    expect(browser.problems).toEqual([]);
  });
});
