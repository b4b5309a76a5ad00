// Discovery endpoints (RFC 7644 §4): what they advertise must be what the bridge really does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.js';
import { ENTERPRISE_URN, GROUP_URN, LIST_URN, USER_URN } from '../helpers/scim-builders.js';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge({ env: { SCIM_MAX_PAGE_SIZE: '500' } });
});
afterAll(async () => {
  await bridge.close();
});

describe('discovery', () => {
  it('when ServiceProviderConfig is read, then it advertises patch, filter and etag, and no bulk, sort or password change', async () => {
    const response = await bridge.scim('GET', '/ServiceProviderConfig');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/scim+json');
    expect(response.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 500 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
    });
    expect(response.body.authenticationSchemes[0].type).toBe('oauthbearertoken');
  });

  it('when Schemas is listed, then User, EnterpriseUser and Group are there, and password is not', async () => {
    const response = await bridge.scim('GET', '/Schemas');
    expect(response.body.schemas).toEqual([LIST_URN]);
    expect(response.body.Resources.map((s: any) => s.id)).toEqual([USER_URN, ENTERPRISE_URN, GROUP_URN]);
    const user = response.body.Resources[0];
    const names = user.attributes.map((a: any) => a.name);
    expect(names).toContain('userName');
    expect(names).not.toContain('password');
    expect(JSON.stringify(response.body)).not.toContain('null');
    expect(user.meta.location).toBe(`${bridge.base}/Schemas/${USER_URN}`);
    const one = await bridge.scim('GET', `/Schemas/${ENTERPRISE_URN}`);
    expect(one.body.attributes.map((a: any) => a.name)).toContain('manager');
  });

  it('when ResourceTypes is read, then User (with the enterprise extension) and Group are described', async () => {
    const response = await bridge.scim('GET', '/ResourceTypes');
    expect(response.body.totalResults).toBe(2);
    expect(response.body.Resources[0]).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER_URN, schemaExtensions: [{ schema: ENTERPRISE_URN, required: false }] });
    expect((await bridge.scim('GET', '/ResourceTypes/Group')).body.schema).toBe(GROUP_URN);
    expect((await bridge.scim('GET', '/ResourceTypes/Nope')).status).toBe(404);
  });

  it('when an unknown SCIM path or route outside SCIM is requested, then a SCIM 404 JSON error, never HTML', async () => {
    const unknown = await bridge.scim('GET', '/Bulk');
    expect(unknown.status).toBe(404);
    expect(unknown.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const outside = await fetch(`${bridge.url}/nowhere`);
    expect(outside.status).toBe(404);
    expect(outside.headers.get('content-type')).toContain('application/scim+json');
  });
});
