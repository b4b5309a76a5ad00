// The one way the bridge calls out over HTTP (Dynatrace OAuth and Account Management, Davis
// Assistant, a JWT issuer's JWKS): undici's fetch through its EnvHttpProxyAgent, fed with the proxy
// settings config.ts read, so that only NO_PROXY decides which calls bypass the proxy.
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { OutboundProxyConfig } from '../config.js';

/** The fetch every outbound client is given (structurally the clients' own fetch seam). */
export type OutboundFetch = (input: string, init: RequestInit) => Promise<Response>;

export interface OutboundHttp {
  readonly fetch: OutboundFetch;
  /** Closes the proxy and direct connection pools (at shutdown). */
  close(): Promise<void>;
}

export function createOutboundHttp(proxy: OutboundProxyConfig): OutboundHttp {
  // Empty strings, not undefined: the agent then never falls back to reading process.env itself.
  const dispatcher = new EnvHttpProxyAgent({ httpProxy: proxy.httpProxy ?? '', httpsProxy: proxy.httpsProxy ?? '', noProxy: proxy.noProxy });
  return {
    // undici's own Request/Response types differ from the DOM lib's in name only.
    fetch: (input, init) => undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>,
    close: () => dispatcher.close(),
  };
}
