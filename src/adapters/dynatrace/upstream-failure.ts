// Names why an attempt to reach a Dynatrace service failed: DNS, a refused or reset connection, a
// timeout, which TLS certificate problem, or the HTTP status with Dynatrace's own error code and
// message — for the log, /admin/status and the metrics. Reads the error chain Node's fetch (undici)
// throws; never keeps a secret (the URL loses its query, the message is redacted by the caller).
import type { UpstreamFailure } from '../../ports/upstream-error.js';

/** What each certificate error code of Node's TLS means, in words. */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer unknown (unable to verify the first certificate)',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown (not in the trusted CAs)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not name this host',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
};

const KINDS: ReadonlyArray<readonly [UpstreamFailure['kind'], ReadonlySet<string>]> = [
  ['dns', new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'])],
  ['connection_refused', new Set(['ECONNREFUSED'])],
  ['connection_reset', new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])],
  ['timeout', new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])],
];

const WORDS: Readonly<Record<UpstreamFailure['kind'], string>> = {
  dns: 'DNS lookup failed',
  connection_refused: 'connection refused',
  connection_reset: 'connection reset',
  timeout: 'timed out',
  tls: 'TLS handshake failed',
  network: 'network error',
  http: 'HTTP error',
};

/** `url` without its query and fragment. */
export function urlWithoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/** The error codes along the `cause` chain, outermost first (bounded). */
function codes(error: unknown): string[] {
  const found: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') found.push(code);
    if ((current as { name?: unknown }).name === 'TimeoutError') found.push('ETIMEDOUT');
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/** An attempt that got no HTTP answer: what `error` (fetch's, or the request's own timeout) says happened. */
export function networkFailure(url: string, error: unknown): UpstreamFailure {
  const all = codes(error);
  const base = { url: urlWithoutQuery(url), status: null, errorCode: null };
  for (const code of all) {
    const certificate = CERTIFICATE_PROBLEMS[code];
    if (certificate !== undefined) return { ...base, kind: 'tls', description: `${WORDS.tls}: ${certificate} (${code})` };
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') return { ...base, kind: 'tls', description: `${WORDS.tls} (${code})` };
  }
  for (const [kind, known] of KINDS) {
    const code = all.find((c) => known.has(c));
    if (code !== undefined) return { ...base, kind, description: `${WORDS[kind]} (${code})` };
  }
  const code = all[0];
  return { ...base, kind: 'network', description: code === undefined ? WORDS.network : `${WORDS.network} (${code})` };
}

/** An answer with an error status, with Dynatrace's error code and its (already redacted) message. */
export function httpFailure(url: string, status: number, errorCode: string | null, message: string | null): UpstreamFailure {
  const said = [errorCode === null ? null : `code ${errorCode}`, message].filter((part) => part !== null).join(': ');
  return { url: urlWithoutQuery(url), kind: 'http', status, errorCode, description: `HTTP ${status}${said === '' ? '' : ` — ${said}`}` };
}
