// The listening HTTP server's own defences, below Express: timeouts against slow clients (slowloris),
// and a SCIM JSON error instead of Node's bare answer (an empty 431, a bare 400) when a request cannot
// even be parsed: 431 for an oversized header block, 408 for a request not received in time, 413 for
// an oversized chunk extension, 400 for anything else that is not HTTP. The connection is then closed.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../observability/logger.js';
import { ERROR_CONTENT_TYPE, HttpError } from './http-error.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Whole header block within 20 s, whole request within 60 s; idle keep-alive above a load balancer's usual 60 s. */
export const SERVER_TIMEOUTS = { headersTimeoutMs: 20_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 } as const;

/** How long a refused client may take to read the answer before the connection is dropped. */
const CLOSE_GRACE_MS = 2_000;

const DETAIL: Readonly<Record<number, string>> = {
  400: 'the request is not valid HTTP',
  408: 'the request was not received in time',
  413: 'a chunk extension is larger than this server accepts',
  431: 'the request header block is larger than this server accepts',
};

export function hardenServer(server: Server, options: { readonly logger: Logger }): void {
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeoutMs;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeoutMs;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status = statusOf(error.code);
    // As Node's own handler does: answer only if no answer to this connection's request has begun.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    options.logger.debug({ code: error.code, status }, 'unparseable request refused');
    const body = JSON.stringify(new HttpError(status, DETAIL[status] ?? 'the request cannot be read').toBody());
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      `Content-Type: ${ERROR_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  });
}

function statusOf(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return 400;
  }
}
