// What a sandbox handler returns, the refusals it throws (in the body shapes Dynatrace uses), and
// the checks of request bodies every API area shares.
import { isJsonObject } from '../ports/json.js';

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A refusal the HTTP layer sends as is. */
export class SandboxHttpError extends Error {
  override readonly name = 'SandboxHttpError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`sandbox answered ${status}`);
  }
}

/**
 * `{"error":{"code","message"}}`: the shape reported for user and group endpoints, whose errors the
 * OpenAPI spec does not document (docs/dynatrace.md lists this as an assumption).
 */
export function iamError(status: number, message: string): SandboxHttpError {
  return new SandboxHttpError(status, { error: { code: status, message } });
}

/** `ErrorDto {code, message, errorsMap}`: the spec's error body of the policy, binding and boundary endpoints. */
export function dtoError(status: number, message: string, errorsMap: Record<string, string> = {}): SandboxHttpError {
  return new SandboxHttpError(status, { code: status, message, errorsMap });
}


export function stringArray(value: unknown, what: string, refuse: (message: string) => SandboxHttpError = (m) => iamError(400, m)): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw refuse(`${what} must be an array of strings`);
  return value as string[];
}

/** An optional JSON object of strings (binding `parameters` and `metadata`); absent is `{}`. */
export function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw dtoError(400, `${what} must be an object of strings`, { [what]: 'must be an object of strings' });
  }
  return { ...(value as Record<string, string>) };
}
