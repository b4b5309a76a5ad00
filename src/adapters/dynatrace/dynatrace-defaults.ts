// Where Dynatrace is when nothing else is said: the global Account Management and SSO hosts, the
// OAuth scopes the bridge needs, and the Davis Assistant host. Used by the clients and by config.ts.
// Sources: https://docs.dynatrace.com/docs/manage/identity-access-management/access-tokens-and-oauth-clients/oauth-clients
// and https://docs.dynatrace.com/docs/dynatrace-api/account-management-api

export const DEFAULT_API_URL = 'https://api.dynatrace.com';
export const DEFAULT_TOKEN_URL = 'https://sso.dynatrace.com/sso/oauth2/token';
/** Users and groups (read, write), environments (read), policy bindings (write). */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze(['account-idm-read', 'account-idm-write', 'account-env-read', 'iam-policies-management']);
export const DEFAULT_DAVIS_ASSISTANT_URL = 'https://assistant.dynatrace.com';
