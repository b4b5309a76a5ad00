// SCIM errors (RFC 7644 §3.12): the SCIM edge's HttpError, with its scimType keyword, and the one
// place where the failures of the layers below (provisioning, filters, scimmy, the body reader) become
// HTTP statuses and scimType keywords. Details never carry tokens, upstream bodies or stack traces.
import SCIMMY from 'scimmy';
import { ProvisioningError, type ProvisioningErrorCode } from '../core/provisioning-error.js';
import { HttpError } from '../http/index.js';
import { FilterSyntaxError } from './filter-parser.js';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An HttpError with the SCIM edge's argument order: status, scimType, detail, headers. */
export class ScimError extends HttpError {
  override readonly name = 'ScimError';

  constructor(status: number, scimType: ScimType | undefined, detail: string, headers: Record<string, string> = {}) {
    super(status, detail, { ...(scimType === undefined ? {} : { type: scimType }), headers });
  }

  get scimType(): ScimType | undefined {
    return this.type as ScimType | undefined;
  }
}

const PROVISIONING_STATUS: Record<ProvisioningErrorCode, [number, ScimType | undefined]> = {
  not_found: [404, undefined],
  conflict: [409, 'uniqueness'],
  invalid_value: [400, 'invalidValue'],
  invalid_filter: [400, 'invalidFilter'],
  too_many: [400, 'tooMany'],
  mutability: [400, 'mutability'],
  precondition_failed: [412, undefined],
  busy: [409, undefined],
  upstream_rejected: [400, 'invalidValue'],
  upstream_throttled: [503, undefined],
  upstream_unavailable: [503, undefined],
  store_unavailable: [503, undefined],
  misconfigured: [500, undefined],
};

const RETRY_AFTER_SECONDS = '30';

/**
 * The error answer for what the layers below the SCIM edge throw while serving a request (the app's
 * ErrorTranslation); null for an error it does not know, which the handler answers with a 500.
 */
export function toScimError(error: unknown, requestId: string): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof ProvisioningError) {
    const [status, scimType] = PROVISIONING_STATUS[error.code];
    const headers: Record<string, string> = status === 503 ? { 'Retry-After': RETRY_AFTER_SECONDS } : {};
    const detail = status === 500 ? `internal error (request id ${requestId})` : error.message;
    return new ScimError(status, scimType, detail, headers);
  }
  if (error instanceof FilterSyntaxError) {
    return new ScimError(400, error.code === 'invalid_path' ? 'invalidPath' : 'invalidFilter', error.message);
  }
  if (error instanceof SCIMMY.Types.Error) {
    return new ScimError(error.status, error.scimType as ScimType, error.message);
  }
  const bodyParser = bodyParserError(error);
  if (bodyParser) return bodyParser;
  // The router could not percent-decode a path parameter (`/Users/%FF`): the client's URL is malformed.
  if (error instanceof URIError) return new ScimError(400, undefined, 'the request path is not valid percent-encoding');
  // Any other 4xx that Express's middleware marks as the client's (http-errors `expose`), e.g. a body
  // that does not decompress as its Content-Encoding says.
  const exposed = exposedClientStatus(error);
  if (exposed !== null) return new ScimError(exposed, exposed === 400 ? 'invalidSyntax' : undefined, 'the request body could not be read');
  return null;
}

/** express.json() failures: malformed JSON, bodies over the limit, unsupported charsets. */
function bodyParserError(error: unknown): ScimError | null {
  if (typeof error !== 'object' || error === null || !('type' in error)) return null;
  switch ((error as { type: unknown }).type) {
    case 'entity.parse.failed':
      return new ScimError(400, 'invalidSyntax', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new ScimError(413, undefined, 'the request body is larger than this server accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ScimError(415, undefined, 'the request body must be UTF-8 JSON');
    case 'request.aborted':
      return new ScimError(400, 'invalidSyntax', 'the request body was not received completely');
    default:
      return null;
  }
}

function exposedClientStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
