// Reads the sandbox's settings from an environment map (pure: the caller passes process.env) and
// reports every invalid variable at once. Defaults are documented in docs/dynatrace.md.
import type { SandboxOptions } from './index.js';

export const SANDBOX_ENV_DEFAULTS = Object.freeze({
  SANDBOX_HOST: '127.0.0.1',
  SANDBOX_PORT: '8090',
  SANDBOX_ACCOUNT_UUID: '00000000-0000-4000-a000-000000000001',
  SANDBOX_CLIENT_ID: 'dt0s02.SANDBOXCLIENT00000000000',
  SANDBOX_CLIENT_SECRET: `dt0s02.SANDBOXCLIENT00000000000.SANDBOXSECRET${'0'.repeat(51)}`,
  SANDBOX_DAVIS_TOKEN: 'sandbox-davis-token',
  SANDBOX_TOKEN_TTL_SECONDS: '300',
  SANDBOX_RATE_LIMIT_PER_MINUTE: '200',
  SANDBOX_ERROR_RATE: '0',
  SANDBOX_ERROR_STATUSES: '502,503,504',
  SANDBOX_LATENCY_MS: '0',
  SANDBOX_REFUSED_EMAILS: '',
  SANDBOX_RETRY_AFTER: 'seconds',
  SANDBOX_RESPONSE_STYLE: 'observed',
  SANDBOX_SEED: 'default',
  SANDBOX_DUPLICATE_USER_ANSWER: '409',
  SANDBOX_ENVIRONMENTS_V3: 'on',
  SANDBOX_DAVIS_DELETE_ANSWER: '204',
  SANDBOX_DAVIS_UPDATE_IGNORED: 'off',
});

export type SandboxEnvResult =
  | { readonly ok: true; readonly options: SandboxOptions & { readonly port: number; readonly host: string } }
  | { readonly ok: false; readonly errors: readonly string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseSandboxEnv(env: Readonly<Record<string, string | undefined>>): SandboxEnvResult {
  const errors: string[] = [];
  const get = (name: keyof typeof SANDBOX_ENV_DEFAULTS): string => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? SANDBOX_ENV_DEFAULTS[name] : v.trim();
  };
  const int = (name: keyof typeof SANDBOX_ENV_DEFAULTS, min: number, max: number): number => {
    const text = get(name);
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      errors.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return min;
    }
    return n;
  };
  const oneOf = <T extends string>(name: keyof typeof SANDBOX_ENV_DEFAULTS, values: readonly T[]): T => {
    const text = get(name);
    if (!(values as readonly string[]).includes(text)) {
      errors.push(`${name} must be one of ${values.join(', ')} (got "${text}")`);
      return values[0] as T;
    }
    return text as T;
  };
  const token = (name: keyof typeof SANDBOX_ENV_DEFAULTS): string => {
    const text = get(name);
    if (/\s/.test(text)) errors.push(`${name} must not contain spaces`);
    return text;
  };

  const host = get('SANDBOX_HOST');
  const port = int('SANDBOX_PORT', 0, 65535);
  const accountUuid = get('SANDBOX_ACCOUNT_UUID');
  if (!UUID.test(accountUuid)) errors.push(`SANDBOX_ACCOUNT_UUID must be a UUID (got "${accountUuid}")`);
  const clientId = token('SANDBOX_CLIENT_ID');
  const clientSecret = token('SANDBOX_CLIENT_SECRET');
  const davisToken = token('SANDBOX_DAVIS_TOKEN');
  const tokenTtlSeconds = int('SANDBOX_TOKEN_TTL_SECONDS', 1, 86_400);
  const rateText = get('SANDBOX_RATE_LIMIT_PER_MINUTE').toLowerCase();
  const rateLimitPerMinute = rateText === 'off' || rateText === '0' ? null : int('SANDBOX_RATE_LIMIT_PER_MINUTE', 1, 1_000_000);
  const errorRateText = get('SANDBOX_ERROR_RATE');
  const errorRate = Number(errorRateText);
  if (!/^\d*\.?\d+$/.test(errorRateText) || !(errorRate >= 0 && errorRate <= 1)) errors.push(`SANDBOX_ERROR_RATE must be a number from 0 to 1 (got "${errorRateText}")`);
  const statusTexts = get('SANDBOX_ERROR_STATUSES').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const errorStatuses = statusTexts.map(Number);
  if (errorStatuses.length === 0 || statusTexts.some((s, i) => !/^5\d\d$/.test(s) || Number.isNaN(errorStatuses[i]))) {
    errors.push(`SANDBOX_ERROR_STATUSES must be a comma-separated list of 5xx statuses (got "${get('SANDBOX_ERROR_STATUSES')}")`);
  }
  const latencyMs = int('SANDBOX_LATENCY_MS', 0, 600_000);
  const refusedEmails = get('SANDBOX_REFUSED_EMAILS').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  for (const e of refusedEmails) if (!e.includes('@')) errors.push(`SANDBOX_REFUSED_EMAILS: "${e}" is not an email`);
  const retryAfter = oneOf('SANDBOX_RETRY_AFTER', ['seconds', 'http-date'] as const);
  const responseStyle = oneOf('SANDBOX_RESPONSE_STYLE', ['observed', 'spec'] as const);
  const seed = oneOf('SANDBOX_SEED', ['default', 'empty'] as const);
  const duplicateUserAnswer = Number(oneOf('SANDBOX_DUPLICATE_USER_ANSWER', ['409', '400', '201'] as const)) as 409 | 400 | 201;
  const environmentsV3 = oneOf('SANDBOX_ENVIRONMENTS_V3', ['on', 'off'] as const) === 'on';
  const davisDeleteAnswer = Number(oneOf('SANDBOX_DAVIS_DELETE_ANSWER', ['204', '404', '405'] as const)) as 204 | 404 | 405;
  const davisUpdateIgnored = oneOf('SANDBOX_DAVIS_UPDATE_IGNORED', ['off', 'on'] as const) === 'on';

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    options: {
      host,
      port,
      accountUuid: accountUuid.toLowerCase(),
      clientId,
      clientSecret,
      davisToken,
      tokenTtlSeconds,
      responseStyle,
      faults: { rateLimitPerMinute, errorRate, errorStatuses, latencyMs, refusedEmails, retryAfter, duplicateUserAnswer, environmentsV3, davisDeleteAnswer, davisUpdateIgnored },
      ...(seed === 'empty' ? { seed: {} } : {}),
    },
  };
}
