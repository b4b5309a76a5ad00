// The Davis Assistant client against the sandbox: users CRUD with `api-token`, DELETE (the docs'
// table names PUT for it), deletes and updates verified against the user list when their answer does
// not show the effect, 401/403 as misconfiguration, and the disabled client when no token is set.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDavisAssistantClient } from '../../src/adapters/dynatrace/index.js';
import type { DavisUser } from '../../src/ports/davis-assistant-api.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import type { TestSandbox } from '../helpers/sandbox-harness.js';
import { startTestSandbox } from '../helpers/sandbox-harness.js';

async function upstreamFailure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

const alice: DavisUser = { email: 'Alice@Example.com', firstName: 'Alice', lastName: 'Ops', timezone: 'Europe/Vienna', admin: false };

describe('Davis Assistant client against the sandbox', () => {
  let t: TestSandbox;

  beforeEach(async () => {
    t = await startTestSandbox({ seed: { davisUsers: [{ email: 'test.one@dynatrace.com', firstName: 'Test', lastName: 'One', timezone: 'America/Detroit', admin: true }] } });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('when users are created, listed, updated and deleted, then the sandbox follows and the methods are POST, GET, PUT, DELETE', async () => {
    const davis = t.davisClient();
    expect(davis.enabled).toBe(true);
    await davis.createUser(alice);
    expect(await davis.listUsers()).toEqual([
      { email: 'test.one@dynatrace.com', firstName: 'Test', lastName: 'One', timezone: 'America/Detroit', admin: true },
      { ...alice, email: 'alice@example.com' },
    ]);
    await davis.updateUser({ ...alice, admin: true });
    expect(t.sandbox.state.davisUsers().find((u) => u.email === 'alice@example.com')?.admin).toBe(true);
    await davis.deleteUser('alice@example.com');
    await davis.deleteUser('alice@example.com'); // absent (404, and not listed): still resolves
    expect(t.sandbox.state.davisUsers().map((u) => u.email)).toEqual(['test.one@dynatrace.com']);
    const calls = t.requests('davis-assistant');
    expect(calls.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'GET 200', 'PUT 200', 'DELETE 204', 'DELETE 404', 'GET 200']);
    expect(calls[0]?.url).toBe('/api/v2/tenant/users/alice%40example.com');
  });

  it('when a delete answers 404 or 405 and the user is still listed, then it fails rejected with the reason', async () => {
    const davis = t.davisClient();
    await davis.createUser(alice);
    for (const answer of [405, 404] as const) {
      t.sandbox.state.setFaults({ davisDeleteAnswer: answer });
      const error = await upstreamFailure(davis.deleteUser('alice@example.com'));
      expect(error).toMatchObject({ service: 'davis-assistant', operation: 'deleteUser', code: 'rejected', status: answer });
      expect(error.upstreamMessage).toMatch(new RegExp(`^DELETE answered ${answer} .*, and the user is still listed$`));
    }
    expect(t.sandbox.state.davisUsers().map((u) => u.email)).toContain('alice@example.com');
  });

  it('when an update answers 200 without effect, then the list shows it and it fails rejected naming the fields', async () => {
    const davis = t.davisClient();
    await davis.createUser(alice);
    t.sandbox.state.setFaults({ davisUpdateIgnored: true });
    const error = await upstreamFailure(davis.updateUser({ ...alice, lastName: 'Changed', admin: true }));
    expect(error).toMatchObject({ operation: 'updateUser', code: 'rejected', status: 200, upstreamMessage: 'answered 200, but lastName, admin did not change' });
    expect(t.requests('davis-assistant').slice(-2).map((r) => r.method)).toEqual(['PUT', 'GET']);
    // An update whose answer shows the change costs no listing.
    t.sandbox.state.setFaults({ davisUpdateIgnored: false });
    await davis.updateUser({ ...alice, admin: true });
    expect(t.requests('davis-assistant').at(-1)?.method).toBe('PUT');
  });

  it('when a user to update is absent, then not_found', async () => {
    expect(await upstreamFailure(t.davisClient().updateUser(alice))).toMatchObject({ service: 'davis-assistant', code: 'not_found', status: 404 });
  });

  it('when the token is invalid, then misconfigured 401, not retried', async () => {
    const error = await upstreamFailure(t.davisClient({ token: 'wrong-token' }).listUsers());
    expect(error).toMatchObject({ service: 'davis-assistant', code: 'misconfigured', status: 401, attempts: 1 });
  });

  it('when the token cannot manage users, then reads work and writes fail misconfigured 403', async () => {
    const viewer = t.davisClient({ token: t.sandbox.davisViewerToken });
    await expect(viewer.listUsers()).resolves.toHaveLength(1);
    expect(await upstreamFailure(viewer.createUser(alice))).toMatchObject({ code: 'misconfigured', status: 403 });
  });

  it('when no token is configured, then the client is disabled and sends nothing', async () => {
    for (const token of [undefined, '', '   ']) {
      const davis = createDavisAssistantClient({ token, baseUrl: t.sandbox.url, fetch: t.fetch, clock: t.clock });
      expect(davis.enabled).toBe(false);
      expect(await upstreamFailure(davis.listUsers())).toMatchObject({ code: 'misconfigured', status: null, attempts: 0 });
      expect(await upstreamFailure(davis.deleteUser('a@example.com'))).toMatchObject({ code: 'misconfigured' });
    }
    expect(t.requests('davis-assistant')).toHaveLength(0);
  });

  it('when a user exists already or its email is refused, then conflict or rejected', async () => {
    const davis = t.davisClient();
    await davis.createUser(alice);
    expect(await upstreamFailure(davis.createUser(alice))).toMatchObject({ code: 'conflict', status: 409 });
    t.sandbox.state.setFaults({ refusedEmails: ['bob@example.com'] });
    expect(await upstreamFailure(davis.createUser({ ...alice, email: 'bob@example.com' }))).toMatchObject({ code: 'rejected', status: 400 });
  });

  it('when a user is misused, then TypeError before any request', async () => {
    const davis = t.davisClient();
    // @ts-expect-error misuse on purpose
    await expect(davis.createUser({ ...alice, admin: 'yes' })).rejects.toThrow(TypeError);
    await expect(davis.createUser({ ...alice, timezone: '' })).rejects.toThrow(TypeError);
    // @ts-expect-error misuse on purpose
    expect(() => createDavisAssistantClient({ token: 42 })).toThrow(TypeError);
    expect(t.requests('davis-assistant')).toHaveLength(0);
  });
});
