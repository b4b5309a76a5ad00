// Starts a sandbox on 127.0.0.1:0 with a virtual clock and builds Dynatrace clients wired to it,
// with retry settings that cost no real time. Every test stops its sandbox.
import type { AccountApi } from '../../src/ports/account-api.js';
import type { DavisAssistantApi } from '../../src/ports/davis-assistant-api.js';
import type {
  AccountManagementClientOptions,
  DavisAssistantClientOptions,
  FetchFn,
  OAuthTokenProvider,
  OAuthTokenProviderOptions,
  RetryPolicy,
} from '../../src/adapters/dynatrace/index.js';
import { createAccountManagementClient, createDavisAssistantClient, createOAuthTokenProvider } from '../../src/adapters/dynatrace/index.js';
import type { SandboxHandle, SandboxOptions } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { VirtualClock } from './sandbox-clock.js';
import { createVirtualClock } from './sandbox-clock.js';

/** Realistic delays: they pass in virtual time. */
export const testRetry: RetryPolicy = Object.freeze({ maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 4_000, throttledDelayMs: 30_000, maxRetryAfterMs: 120_000 });

export interface TestSandbox {
  readonly sandbox: SandboxHandle;
  readonly clock: VirtualClock;
  /** Real fetch to the sandbox, tracked by the virtual clock. */
  readonly fetch: FetchFn;
  tokenProvider(overrides?: Partial<OAuthTokenProviderOptions>): OAuthTokenProvider;
  accountClient(overrides?: Partial<AccountManagementClientOptions>): AccountApi;
  davisClient(overrides?: Partial<DavisAssistantClientOptions>): DavisAssistantApi;
  /** Requests the sandbox logged for one service. */
  requests(service?: 'oauth' | 'account-management' | 'davis-assistant'): Array<{ at: number; method: string; url: string; status: number }>;
  stop(): Promise<void>;
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const clock = createVirtualClock();
  // Tests only talk to 127.0.0.1; the sandbox's rate limit is off unless a test sets it.
  const sandbox = await startSandbox({ ...options, host: '127.0.0.1', port: 0, clock, faults: { rateLimitPerMinute: null, ...(options.faults ?? {}) } });
  const trackedFetch = clock.trackFetch();
  const tokenProvider = (overrides: Partial<OAuthTokenProviderOptions> = {}): OAuthTokenProvider =>
    createOAuthTokenProvider({
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      accountUuid: sandbox.accountUuid,
      tokenUrl: sandbox.tokenUrl,
      fetch: trackedFetch,
      clock,
      retry: testRetry,
      ...overrides,
    });
  return {
    sandbox,
    clock,
    fetch: trackedFetch,
    tokenProvider,
    accountClient: (overrides = {}) =>
      createAccountManagementClient({
        accountUuid: sandbox.accountUuid,
        baseUrl: sandbox.url,
        tokenProvider: overrides.tokenProvider ?? tokenProvider(),
        fetch: trackedFetch,
        clock,
        retry: testRetry,
        requestsPerMinute: 10_000,
        ...overrides,
      }),
    davisClient: (overrides = {}) =>
      createDavisAssistantClient({ token: sandbox.davisToken, baseUrl: sandbox.url, fetch: trackedFetch, clock, retry: testRetry, ...overrides }),
    requests: (service) =>
      sandbox.state.requestLog.filter((r) => service === undefined || r.service === service).map(({ at, method, url, status }) => ({ at, method, url, status })),
    stop: () => sandbox.stop(),
  };
}
