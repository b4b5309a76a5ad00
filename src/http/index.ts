// The HTTP layer's public entry: what the other layers (the SCIM edge, the console, the composition
// root) use of it. Its other files are its own.
export { HttpError, ERROR_CONTENT_TYPE, ERROR_SCHEMA, type HttpErrorOptions } from './http-error.js';
export { createErrorHandler, type ErrorTranslation } from './error-handler.js';
export { requestContextOf, type RequestContext } from './request-context.js';
