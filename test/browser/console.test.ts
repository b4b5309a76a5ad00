// The operator console in a real browser (Debian's Chromium through playwright-core) against a bridge on
// loopback provisioning into the sandbox: nothing answers without a session, sign-in with the admin
// token, each page (a person's access chain applied, groups, audit filters, a mapping preview), a retry
// and a reconcile from the page, a forged form refused, sign-out, and no console error or CSP violation
// anywhere. With UPDATE_CONSOLE_SCREENSHOTS=1 it also writes the screenshots docs/console.md shows.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMapping } from '../../src/mapping-file.js';
import { BROWSER_AVAILABLE, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { groupBody, userBody } from '../helpers/scim-builders.js';
import { startTestBridge, TEST_ADMIN_TOKEN, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';

const MAPPING_FILE = path.resolve('test/fixtures/mapping/console.yaml');
const MAPPING = readFileSync(MAPPING_FILE, 'utf8');

/** The console's navigation bar. */
const nav = (browser: TestBrowser) => browser.page.getByRole('navigation', { name: 'Console' });

/** The answers this test provokes on purpose (a refused sign-in, a refused forged form), which Chromium logs as errors. */
const PROVOKED = ['status of 401 (Unauthorized)', 'status of 403 (Forbidden)'];

const SCREENSHOTS = process.env.UPDATE_CONSOLE_SCREENSHOTS === '1' ? path.resolve('docs/console') : null;

describe.skipIf(!BROWSER_AVAILABLE)('the operator console in Chromium', () => {
  let bridge: TestBridge;
  let browser: TestBrowser;
  let adaId: string;

  async function shot(name: string): Promise<void> {
    if (SCREENSHOTS === null) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await browser.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    bridge = await startTestBridge({ mapping: parseMapping(MAPPING), env: { MAPPING_FILE } });
    const ada = await bridge.scim('POST', '/Users', { ...userBody('ada@example.com'), displayName: 'Ada Lovelace', name: { givenName: 'Ada', familyName: 'Lovelace' } });
    adaId = ada.body.id;
    await bridge.scim('POST', '/Users', userBody('grace@example.com'));
    await bridge.scim('POST', '/Groups', groupBody('Observability Admins', [adaId]));
    await bridge.worker.drain();
    await bridge.deps.admin.reloadMapping();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('when there is no session, then every page sends the browser to the sign-in and every action is refused', async () => {
    for (const route of ['/console', '/console/people', `/console/people/${adaId}`, '/console/groups', '/console/audit', '/console/mapping']) {
      const response = await fetch(`${bridge.url}${route}`, { redirect: 'manual' });
      expect(response.status, route).toBe(303);
      expect(response.headers.get('location'), route).toBe('/console/sign-in');
    }
    for (const route of ['/console/actions/retry-failed', '/console/actions/reconcile', '/console/mapping/preview', '/console/sign-out']) {
      const response = await fetch(`${bridge.url}${route}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'dryRun=false' });
      expect(response.status, route).toBe(401);
    }
    // The SCIM token opens neither the console nor /admin (ADMIN_ACCEPTS_SCIM_TOKEN is off).
    const admin = await fetch(`${bridge.url}/admin/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(admin.status).toBe(401);
    const { page } = browser;
    await page.goto(`${bridge.url}/console/people`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  });

  it('when a wrong token is given, then the sign-in is refused; with the admin token, the overview opens', async () => {
    const { page } = browser;
    await page.goto(`${bridge.url}/console`);
    await shot('sign-in');
    await page.getByLabel('Admin token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not an admin token');
    // Keyboard only: the field has focus, Enter submits.
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${bridge.url}/console`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    expect(await page.getByTestId('dynatrace-state').textContent()).toBe('ok');
    expect(await page.getByTestId('upstream-account-management').textContent()).toBe('reached');
    const cookies = await browser.context.cookies(`${bridge.url}/console`);
    const session = cookies.find((c) => c.name === 'scim_bridge_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(session?.expires).toBeGreaterThan(Date.now() / 1000);
    await shot('overview');
  });

  it('when the operator searches for the person, then their page shows the SCIM group, rule, Dynatrace group and policies, all applied', async () => {
    const { page } = browser;
    await nav(browser).getByRole('link', { name: 'People' }).click();
    await page.keyboard.press('/');
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'ada@example.com' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('ada@example.com');
    expect(await page.getByTestId('account-status').textContent()).toBe('applied');
    const chain = page.getByTestId('chain');
    expect(await chain.getByTestId('dynatrace-group').textContent()).toBe('DT Observability Admins');
    expect(await chain.getByTestId('membership').textContent()).toBe('applied');
    const text = await chain.textContent();
    expect(text).toContain('groups[0] scim: "Observability Admins"');
    expect(text).toContain('Standard User');
    expect(text).toContain('environment:abc12345');
    expect(await chain.locator('.levels .badge-applied').count()).toBe(2);
    expect(await page.locator('pre.record').textContent()).toContain('"userName": "ada@example.com"');
    expect(await page.getByRole('region', { name: 'Audit trail' }).textContent()).toContain('addUserToGroups');
    await shot('person');
  });

  it('when the operator opens Groups and a group, then members, rule, Dynatrace group and bindings are shown', async () => {
    const { page } = browser;
    await nav(browser).getByRole('link', { name: 'Groups' }).click();
    await shot('groups');
    await page.getByRole('link', { name: 'Observability Admins' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Observability Admins');
    const text = await page.locator('main').textContent();
    expect(text).toContain('DT Observability Admins');
    expect(text).toContain('Pro User');
    expect(await page.getByRole('region', { name: /Members/ }).getByRole('link', { name: 'Ada Lovelace' }).count()).toBe(1);
    await shot('group');
  });

  it('when the audit log is filtered by person and by outcome, then only those entries show', async () => {
    const { page } = browser;
    await nav(browser).getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Person').fill('ada@example.com');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    for (const target of await rows.locator('td:nth-child(4)').allTextContents()) expect(target).toBe('ada@example.com');
    await shot('audit');
    await page.getByLabel('Person').fill('');
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('No entries.');
  });

  it('when a changed mapping is pasted, then the preview lists the binding change and the people it reaches', async () => {
    const { page } = browser;
    await nav(browser).getByRole('link', { name: 'Mapping' }).click();
    expect(await page.getByRole('region', { name: 'In force' }).textContent()).toContain('dynatraceGroup: DT Observability Admins');
    await page.getByLabel('Paste a mapping file (YAML)').fill(MAPPING.replace('names: ["Pro User"]', 'names: ["Admin User"]'));
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('preview');
    await expect.poll(() => preview.textContent()).toContain('environment:abc12345: + "Admin User"');
    const text = await preview.textContent();
    expect(text).toContain('environment:abc12345: − "Pro User"');
    expect(text).toContain('Access changes for 1 person: Ada Lovelace');
    await shot('mapping');
  });

  it('when work has failed, then the overview shows its reason and the retry button puts it back in the queue', async () => {
    bridge.sandbox.state.setFaults({ refusedEmails: ['refused@example.com'] });
    await bridge.scim('POST', '/Users', userBody('refused@example.com'));
    await bridge.worker.drain();
    const { page } = browser;
    await nav(browser).getByRole('link', { name: 'Overview' }).click();
    expect(await page.getByTestId('failed-count').textContent()).toBe('1');
    expect(await page.getByRole('region', { name: 'Failed work' }).textContent()).toMatch(/refused|400|invalid/i);
    await shot('overview-failed');
    await page.getByRole('button', { name: 'Retry all failed work' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('1 failed item put back in the queue.');
    expect(await page.getByTestId('failed-count').textContent()).toBe('0');
    expect((await bridge.store.syncQueueStats({ failedLimit: 0 })).depth).toBe(1);
  });

  it('when the operator runs a dry-run and then a real reconcile from the page, then each reports its findings', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Dry-run reconcile' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^Dry-run reconcile finished: \d+ findings?, nothing queued\.$/);
    expect(bridge.deps.admin).toBeDefined();
    const confirmed: string[] = [];
    page.once('dialog', (dialog) => {
      confirmed.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Reconcile', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^Reconcile finished: \d+ findings?, repairs queued\.$/);
    expect(confirmed).toEqual(['Reconcile now and queue every repair it finds?']);
    expect((await bridge.deps.admin.status()).lastReconcile?.dryRun).toBe(false);
  });

  it('when a form is forged without this session\'s CSRF token, then it is refused and nothing happens', async () => {
    const { page } = browser;
    const before = (await bridge.deps.admin.status()).lastReconcile?.finishedAt;
    // Built in the page (the test's types know no DOM): a form posting a real action with a made-up token.
    await page.evaluate(`(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/console/actions/reconcile';
      for (const [name, value] of [['_csrf', 'forged-token'], ['dryRun', 'false']]) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    })()`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('CSRF check failed');
    expect((await bridge.deps.admin.status()).lastReconcile?.finishedAt).toBe(before);
  });

  it('when the operator signs out, then the console asks for a sign-in again, and no page logged a console error or CSP violation', async () => {
    const { page } = browser;
    await page.goto(`${bridge.url}/console`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${bridge.url}/console/sign-in`);
    await page.goto(`${bridge.url}/console/people`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect(browser.problems.filter((problem) => !PROVOKED.some((provoked) => problem.endsWith(provoked)))).toEqual([]);
    expect(browser.problems).toHaveLength(PROVOKED.length);
    const response = await fetch(`${bridge.url}/console/sign-in`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });
});
