// Writing SCIM responses: every body is `application/scim+json` (RFC 7644 §3.1), lists are
// ListResponse messages with integer paging fields (§3.4.2).
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { ChangeOrigin } from '../core/change-context.js';
import { requestContextOf } from '../http/index.js';
import type { JsonObject } from '../ports/json.js';

/** RFC 7644 §8.1: the media type defines no parameters; JSON text is UTF-8 (RFC 8259 §8.1). */
export const SCIM_CONTENT_TYPE = 'application/scim+json';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export function sendScim(res: Response, status: number, body: unknown): void {
  sendScimJson(res, status, JSON.stringify(body));
}

/** `json` is already the serialised body. */
export function sendScimJson(res: Response, status: number, json: string): void {
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(json);
}

/**
 * A body written as it is produced (chunked), with backpressure. A client that goes away mid-way
 * ends the writing, and there is nobody left to answer. A body that fails mid-way (the store, while
 * a later part is loaded) can no longer become an error answer: the connection is closed before the
 * body is complete, so the client sees a broken answer rather than a short one, and the failure is logged.
 */
export async function sendScimChunks(res: Response, status: number, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  const source = { failed: false };
  async function* produced(): AsyncGenerator<string> {
    try {
      yield* chunks;
    } catch (error) {
      source.failed = true;
      throw error;
    }
  }
  try {
    await pipeline(produced(), res);
  } catch (error) {
    if (source.failed) requestContextOf(res).log.error({ err: error }, 'the answer failed while it was being written; the connection was closed');
    else if (!res.destroyed) throw error;
  }
}

export function listResponse(resources: readonly JsonObject[], totalResults: number, startIndex: number): JsonObject {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: [...resources],
  };
}

/** One page of a list answer, its resources produced (loaded, rendered) only as the answer is written. */
export interface ResourcePage {
  readonly totalResults: number;
  readonly itemsPerPage: number;
  /** Each resource as JSON text in one or more pieces. */
  readonly resources: Iterable<Iterable<string>> | AsyncIterable<Iterable<string>>;
  /** Written out piece by piece as produced (many members); otherwise joined and sent as one string. */
  readonly chunked: boolean;
}

/** Answers 200 with the ListResponse of `page`, starting at `startIndex`. */
export async function sendListResponse(res: Response, page: ResourcePage, startIndex: number): Promise<void> {
  if (page.chunked) {
    await sendScimChunks(res, 200, listResponseChunks(page.resources, page.itemsPerPage, page.totalResults, startIndex));
    return;
  }
  const resources: string[] = [];
  // An array (every page of Users) is read without awaiting: the hot path of an IdP's `userName eq` check.
  if (Array.isArray(page.resources)) for (const pieces of page.resources as Iterable<string>[]) resources.push([...pieces].join(''));
  else for await (const pieces of page.resources) resources.push([...pieces].join(''));
  sendScimJson(res, 200, listResponseJson(resources, page.totalResults, startIndex));
}

/** `JSON.stringify(listResponse(…))` of resources that are already serialised. */
export function listResponseJson(resources: readonly string[], totalResults: number, startIndex: number): string {
  return `${listResponseHead(totalResults, startIndex, resources.length)}${resources.join(',')}]}`;
}

/**
 * `listResponseJson` of `itemsPerPage` resources that are each serialised in pieces, written piece
 * by piece; the resources may be produced (loaded, rendered) only as the writing reaches them.
 */
export async function* listResponseChunks(
  resources: Iterable<Iterable<string>> | AsyncIterable<Iterable<string>>,
  itemsPerPage: number,
  totalResults: number,
  startIndex: number,
): AsyncGenerator<string> {
  yield listResponseHead(totalResults, startIndex, itemsPerPage);
  let index = 0;
  for await (const pieces of resources) {
    if (index++ > 0) yield ',';
    yield* pieces;
  }
  if (index !== itemsPerPage) throw new Error(`a ListResponse announced ${itemsPerPage} resources and got ${index}`);
  yield ']}';
}

function listResponseHead(totalResults: number, startIndex: number, itemsPerPage: number): string {
  return `{"schemas":["${LIST_RESPONSE_SCHEMA}"],"totalResults":${totalResults},"startIndex":${startIndex},"itemsPerPage":${itemsPerPage},"Resources":[`;
}

/** `https://host/scim/v2` for this request: the configured public URL, else the request's own origin. */
export function baseUrlOf(req: Request, publicBaseUrl: string | null, basePath: string): string {
  return `${publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}${basePath}`;
}

/** The SCIM request behind a change, for the sync queue and the audit log. */
export function originOf(res: Response): ChangeOrigin {
  return { requestId: requestContextOf(res).requestId };
}
