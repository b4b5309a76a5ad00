// The DavisAssistantApi port: Davis Assistant user management (`{base}/api/v2/tenant/users`), which
// exists only for Dynatrace Managed; SaaS users are inherited, so for SaaS the client is disabled.
// Failures are UpstreamError with service 'davis-assistant'; 401/403 are `misconfigured`.

/** A Davis Assistant user as its API lists it. */
export interface DavisUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  /** tzdata name, e.g. `Europe/Vienna`. */
  readonly timezone: string;
  /** Davis Assistant environment admin. */
  readonly admin: boolean;
}

export interface DavisAssistantApi {
  /**
   * False when no Davis Assistant token is configured. Then every method rejects with
   * UpstreamError `misconfigured` (status null, no request sent): check `enabled` before calling.
   */
  readonly enabled: boolean;
  /** `GET /api/v2/tenant/users`: every user. */
  listUsers(): Promise<DavisUser[]>;
  /** `POST /api/v2/tenant/users/{email}` with the user as body (body shape UNCONFIRMED upstream). */
  createUser(user: DavisUser): Promise<void>;
  /**
   * `PUT /api/v2/tenant/users/{email}` with the user as body. 404 → UpstreamError `not_found`. When the
   * answer does not show the change, the user list is read: a change that did not take effect is
   * UpstreamError `rejected` naming the fields.
   */
  updateUser(user: DavisUser): Promise<void>;
  /**
   * `DELETE /api/v2/tenant/users/{email}` (the docs' table names PUT for it). A 404 or 405 is checked
   * against the user list: gone is success, still listed is UpstreamError `rejected` with the reason.
   */
  deleteUser(email: string): Promise<void>;
}
