// Public entry of the Dynatrace adapters: the Account Management client, its OAuth token provider,
// the per-account rate budget and the Davis Assistant client. Import from here only.
export { createAccountManagementClient } from './account-management-client.js';
export type { AccountManagementClientOptions, DeprecationNotice } from './account-management-client.js';
export { createDavisAssistantClient } from './davis-assistant-client.js';
export type { DavisAssistantClientOptions } from './davis-assistant-client.js';
export { createOAuthTokenProvider } from './oauth-token-provider.js';
export { DEFAULT_API_URL, DEFAULT_DAVIS_ASSISTANT_URL, DEFAULT_SCOPES, DEFAULT_TOKEN_URL } from './dynatrace-defaults.js';
export type { OAuthTokenProvider, OAuthTokenProviderOptions } from './oauth-token-provider.js';
export { createRateBudget } from './rate-budget.js';
export type { RateBudget, RateBudgetOptions, RateBudgetUsage } from './rate-budget.js';
export { defaultRetryPolicy } from './retry-policy.js';
export type { RetryPolicy } from './retry-policy.js';
export type { FetchFn } from './upstream-call.js';
