// Defensive reading of Dynatrace error bodies, secret redaction, and the UpstreamError contract.
import { describe, expect, it } from 'vitest';
import { readErrorMessage, redactSecrets } from '../../src/adapters/dynatrace/error-body.js';
import { isUpstreamError, UpstreamError } from '../../src/ports/upstream-error.js';

describe('error bodies', () => {
  it('when the body has any documented shape, then its message is read', () => {
    expect(readErrorMessage('{"code":400,"message":"Invalid policy","errorsMap":{"name":"required"}}')).toBe('Invalid policy; name: required');
    expect(readErrorMessage('{"error":{"code":404,"message":"Group not found"}}')).toBe('Group not found');
    expect(readErrorMessage('{"message":"Forbidden","statusCode":403}')).toBe('Forbidden');
    expect(readErrorMessage('{"error":true,"payload":null,"message":"Requested service user not found"}')).toBe('Requested service user not found');
    expect(readErrorMessage('{"error":"invalid_client","error_description":"Client authentication failed"}')).toBe('invalid_client; Client authentication failed');
    expect(readErrorMessage('upstream connect error')).toBe('upstream connect error');
  });

  it('when the body says nothing usable, then the message is null', () => {
    for (const body of ['', '   ', '{}', '[]', 'null', '<html><body>502</body></html>', '{"error":{"code":500}}']) expect(readErrorMessage(body)).toBeNull();
  });

  it('when a message contains a secret, then it is replaced and the text is bounded', () => {
    const out = redactSecrets(`token abc.def.ghi rejected; ${'x'.repeat(1000)}`, ['abc.def.ghi']);
    expect(out).not.toContain('abc.def.ghi');
    expect(out).toContain('[REDACTED]');
    expect(out.length).toBeLessThanOrEqual(301);
  });
});

describe('UpstreamError', () => {
  it('when built, then it carries service, operation, code, status, retryAfterMs and attempts', () => {
    const e = new UpstreamError({ service: 'account-management', operation: 'getUser', code: 'throttled', status: 429, retryAfterMs: 5_000, attempts: 3 });
    expect(e).toMatchObject({ name: 'UpstreamError', service: 'account-management', operation: 'getUser', code: 'throttled', status: 429, retryAfterMs: 5_000, attempts: 3, upstreamMessage: null });
    expect(e.retryable).toBe(true);
    expect(isUpstreamError(e)).toBe(true);
    expect(isUpstreamError(new Error('x'))).toBe(false);
  });

  it('when the failure is not transient, then it is not retryable', () => {
    for (const code of ['not_found', 'conflict', 'rejected', 'misconfigured', 'invalid_response'] as const) {
      expect(new UpstreamError({ service: 'oauth', operation: 'token', code, status: 400 }).retryable).toBe(false);
    }
  });
});
