// An error that is an HTTP answer (as hono's HTTPException): a status, a detail for the client, the
// headers the answer needs (WWW-Authenticate, Retry-After) and, for a client error, a keyword naming
// its kind. Every error the bridge answers, on any endpoint, has the body of RFC 7644 §3.12's Error
// message, whose `scimType` vocabulary those keywords are: one format for IdPs and operators alike.

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** The media type of every error answer (RFC 7644 §8.1; no parameters). */
export const ERROR_CONTENT_TYPE = 'application/scim+json';

export interface HttpErrorOptions {
  /** A keyword for the kind of client error (RFC 7644 §3.12 `scimType`, e.g. `invalidValue`). */
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly status: number;
  readonly type: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, detail: string, options: HttpErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new TypeError(`HttpError needs an error status, got ${status}`);
    this.status = status;
    this.type = options.type;
    this.headers = options.headers ?? {};
  }

  toBody(): Record<string, unknown> {
    return {
      schemas: [ERROR_SCHEMA],
      status: String(this.status),
      ...(this.type === undefined ? {} : { scimType: this.type }),
      detail: this.message,
    };
  }
}
