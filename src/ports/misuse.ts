// Checks of a port's arguments that a correct caller never fails: misuse throws TypeError naming the
// argument, so every engine and client rejects the same calls the same way.

export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
}

export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
}

export function assertNullableString(value: unknown, name: string): asserts value is string | null {
  if (value !== null && typeof value !== 'string') throw new TypeError(`${name} must be a string or null`);
}

export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}
