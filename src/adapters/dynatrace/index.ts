// Public entry of the Dynatrace adapters: the Account Management client, its OAuth token provider,
// the per-account rate budget and the Davis Assistant client. Import from here only.
export { createAccountManagementClient, DEFAULT_API_URL } from './account-management-client.js';
export type { AccountManagementClientOptions, DeprecationNotice } from './account-management-client.js';
export { createDavisAssistantClient, DEFAULT_DAVIS_ASSISTANT_URL } from './davis-assistant-client.js';
export type { DavisAssistantClientOptions } from './davis-assistant-client.js';
export { createOAuthTokenProvider, DEFAULT_SCOPES, DEFAULT_TOKEN_URL } from './oauth-token-provider.js';
export type { OAuthTokenProvider, OAuthTokenProviderOptions } from './oauth-token-provider.js';
export { createRateBudget } from './rate-budget.js';
export type { RateBudget, RateBudgetOptions, RateBudgetUsage } from './rate-budget.js';
export { defaultRetryPolicy } from './retry-policy.js';
export type { RetryPolicy } from './retry-policy.js';
export type { FetchFn } from './upstream-call.js';
