// Cursor paging as Dynatrace's paged lists do it: the first request names a page size, each answer
// hands out an opaque key for the next page, and a request with that key gets the page after.
import { SandboxHttpError } from './sandbox-answers.js';

export interface PageWindow {
  readonly offset: number;
  readonly size: number;
  /** The key of the page after this one, or null on the last page. */
  readonly nextKey: string | null;
}

export interface PageOptions {
  /** The query key carrying the cursor (`page-key`, `page`). */
  readonly cursorKey: string;
  readonly sizeKey: string;
  readonly defaultSize: number;
  readonly maxSize: number;
  readonly total: number;
}

function refuse(message: string): SandboxHttpError {
  return new SandboxHttpError(400, { error: true, payload: null, message });
}

export function pageWindow(query: URLSearchParams, options: PageOptions): PageWindow {
  let offset = 0;
  let size = options.defaultSize;
  const key = query.get(options.cursorKey);
  if (key !== null) {
    const decoded = /^(\d+)\.(\d+)$/.exec(Buffer.from(key, 'base64url').toString('utf8'));
    if (decoded === null) throw refuse(`Invalid ${options.cursorKey}`);
    offset = Number(decoded[1]);
    size = Number(decoded[2]);
  } else {
    const raw = query.get(options.sizeKey);
    if (raw !== null) {
      size = Number(raw);
      if (!/^\d+$/.test(raw) || size < 1 || size > options.maxSize) throw refuse(`${options.sizeKey} must be 1..${options.maxSize}`);
    }
  }
  const next = offset + size < options.total ? Buffer.from(`${offset + size}.${size}`, 'utf8').toString('base64url') : null;
  return { offset, size, nextKey: next };
}
