// Defensive reading of Dynatrace error bodies, whose shape varies by endpoint: ErrorDto
// `{code, message, errorsMap}`, `{error: {code, message}}`, `{message, statusCode}`,
// `{error: true, message}`, OAuth `{error, error_description}`, or plain text (docs/dynatrace.md, "Errors").
import { isJsonObject } from '../../ports/json.js';

const MAX_MESSAGE_LENGTH = 300;


function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** The human-readable part of an error body, or null. Never throws. */
export function readErrorMessage(bodyText: string): string | null {
  const text = bodyText.trim();
  if (text === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.startsWith('<') ? null : text; // an HTML error page says nothing useful
  }
  if (!isJsonObject(parsed)) return nonEmpty(parsed);
  const parts: string[] = [];
  const error = parsed['error'];
  if (isJsonObject(error)) {
    const m = nonEmpty(error['message']);
    if (m !== null) parts.push(m);
  } else {
    const e = nonEmpty(error);
    if (e !== null) parts.push(e);
  }
  for (const key of ['message', 'error_description', 'detail']) {
    const m = nonEmpty(parsed[key]);
    if (m !== null && !parts.includes(m)) parts.push(m);
  }
  const errorsMap = parsed['errorsMap'];
  if (isJsonObject(errorsMap)) {
    for (const [k, v] of Object.entries(errorsMap)) {
      const m = nonEmpty(v);
      if (m !== null) parts.push(`${k}: ${m}`);
    }
  }
  return parts.length === 0 ? null : parts.join('; ');
}

/** Dynatrace's own error code in an error body — ErrorDto `code`, `error.code` — or null. Never throws. */
export function readErrorCode(bodyText: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return null;
  }
  if (!isJsonObject(parsed)) return null;
  const error = parsed['error'];
  const code = isJsonObject(error) ? error['code'] : parsed['code'];
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : null;
}

/** Replaces every secret (token, client secret) occurring in `text`, then bounds its length. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH)}…` : out;
}
