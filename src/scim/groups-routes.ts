// /Groups (RFC 7644 §3.3–§3.6). Member changes in a PATCH become deltas; `excludedAttributes=members`
// never loads members; big groups are written out in chunks, and a page of groups holding many
// members is loaded a batch of groups at a time as it is written; PATCH answers 204 (Entra's
// preference) unless attributes are requested.
import { batchesWithin } from '../core/batches.js';
import type { GroupService, GroupView } from '../core/groups.js';
import { matchesFilter } from '../core/filter/evaluate.js';
import { foldMemberOperations, type MemberOperation } from '../core/membership-change.js';
import { formatETag, ifNoneMatchHits, parseIfMatch } from './etag.js';
import { parseProjection, type Projection } from './list-parameters.js';
import type { ResourceListing } from './resource-listing.js';
import { splitMemberOperations, type MemberInstruction } from './member-operations.js';
import { applyPatch } from './patch-applier.js';
import { splitPathless } from './patch-normaliser.js';
import { parsePatchRequest } from './patch-request.js';
import { excludesAttribute, isWholeResource, project } from './projection.js';
import { groupLocation, renderGroup, renderGroupJsonChunks } from './resource-renderer.js';
import { parseGroupInput } from './resource-input.js';
import { baseUrlOf, originOf, sendScim, sendScimChunks } from './scim-response.js';
import type { ResourceSchema } from './scim-schemas.js';
import type { ResourceRoutesOptions } from './users-routes.js';
import type { ScimRouteTable } from './scim-route-table.js';

/** Members (of one group, or of a page of groups) beyond which the answer is written out as it is rendered, this many at a time. */
const MEMBERS_PER_CHUNK = 1_000;
/** Members of a page of groups loaded at once: a page holding more is loaded batch by batch as it is written. */
const MEMBERS_PER_BATCH = 10_000;

/** Whether one group of `members` members is written in chunks: whole resources only (a projection is rendered as an object). */
function inChunks(projection: Projection, members: number): boolean {
  return isWholeResource(projection) && members > MEMBERS_PER_CHUNK;
}

/** Registers /Groups and /Groups/{id}; the list (GET /Groups, searches) is answered through the listing it returns. */
export function registerGroupsRoutes(router: ScimRouteTable, options: ResourceRoutesOptions & { groups: GroupService; schema: ResourceSchema }): ResourceListing {
  const { groups, schema } = options;
  const base = (req: Parameters<typeof baseUrlOf>[0]) => baseUrlOf(req, options.publicBaseUrl, options.basePath);
  const idOf = (req: { params: Record<string, string | string[] | undefined> }) => String(req.params.id);

  /** Resolves `members[<filter>]` removals against the current member list (only then is it read). */
  async function memberOperations(id: string, instructions: readonly MemberInstruction[]): Promise<MemberOperation[]> {
    if (!instructions.some((i) => i.kind === 'removeMatching')) return instructions as MemberOperation[];
    const { members } = await groups.get(id, { withMembers: true });
    return instructions.map((instruction) => {
      if (instruction.kind !== 'removeMatching') return instruction;
      const ids = (members ?? [])
        .filter((m) => matchesFilter(instruction.filter, { value: m.value, display: m.display, type: 'User' }, memberCatalogue(schema)))
        .map((m) => m.value);
      return { kind: 'remove', ids };
    });
  }

  router.get('/Groups/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const view = await groups.get(idOf(req), { withMembers: !excludesAttribute(projection, 'members', schema) });
    res.setHeader('ETag', formatETag(view.record.version));
    if (ifNoneMatchHits(req.get('if-none-match'), view.record.version)) {
      res.status(304).end();
      return;
    }
    if (inChunks(projection, view.members?.length ?? 0)) {
      await sendScimChunks(res, 200, renderGroupJsonChunks(view, base(req), MEMBERS_PER_CHUNK));
      return;
    }
    sendScim(res, 200, project(renderGroup(view, base(req)), projection, schema));
  });

  router.post('/Groups', async (req, res) => {
    const projection = parseProjection(req.query);
    const { attributes, members } = parseGroupInput(req.body, schema);
    const view = await groups.create(attributes, members, originOf(res));
    const url = base(req);
    res.setHeader('Location', groupLocation(url, view.record.id));
    res.setHeader('ETag', formatETag(view.record.version));
    sendScim(res, 201, project(renderGroup(view, url), projection, schema));
  });

  router.put('/Groups/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const { attributes, members } = parseGroupInput(req.body, schema);
    const view = await groups.replace(idOf(req), attributes, members, ifMatch, originOf(res));
    res.setHeader('ETag', formatETag(view.record.version));
    sendScim(res, 200, project(renderGroup(view, base(req)), projection, schema));
  });

  router.patch('/Groups/:id', async (req, res) => {
    const id = idOf(req);
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const split = splitMemberOperations(splitPathless(parsePatchRequest(req.body), schema.coreSchema));
    const members = foldMemberOperations(await memberOperations(id, split.members));
    const meta = await groups.patch(
      id,
      {
        ...(split.attributes.length > 0 ? { attributes: async (current) => parseGroupInput(applyPatch(current.record.attributes, split.attributes, schema), schema).attributes } : {}),
        ...(members ? { members } : {}),
      },
      ifMatch,
      originOf(res),
    );
    res.setHeader('ETag', formatETag(meta.version));
    if (projection.attributes === null && projection.excludedAttributes === null) {
      res.status(204).end();
      return;
    }
    const view = await groups.get(id, { withMembers: !excludesAttribute(projection, 'members', schema) });
    sendScim(res, 200, project(renderGroup(view, base(req)), projection, schema));
  });

  router.delete('/Groups/:id', async (req, res) => {
    await groups.delete(idOf(req), parseIfMatch(req.get('if-match')), originOf(res));
    res.status(204).end();
  });

  return {
    schema,
    async page(req, query, projection) {
      const page = await groups.list(query);
      const url = base(req);
      const render = (view: GroupView) => [JSON.stringify(project(renderGroup(view, url), projection, schema))];
      const whole = (views: readonly GroupView[]) => ({ totalResults: page.totalResults, itemsPerPage: views.length, resources: views.map(render), chunked: false });
      if (excludesAttribute(projection, 'members', schema) || page.items.length === 0) return whole(page.items);
      // Counted first, so that a page of many members is never held at once.
      const counts = await groups.countMembers(page.items.map((view) => view.record.id));
      const sizes = page.items.map((view) => counts.get(view.record.id) ?? 0);
      if (sizes.reduce((sum, size) => sum + size, 0) <= MEMBERS_PER_CHUNK) return whole(await groups.withMembers(page.items));
      const pieces = (view: GroupView): Iterable<string> => (isWholeResource(projection) ? renderGroupJsonChunks(view, url, MEMBERS_PER_CHUNK) : render(view));
      async function* resources(): AsyncGenerator<Iterable<string>> {
        for (const batch of batchesWithin(page.items, sizes, MEMBERS_PER_BATCH)) {
          for (const view of await groups.withMembers(batch)) yield pieces(view);
        }
      }
      return { totalResults: page.totalResults, itemsPerPage: page.items.length, resources: resources(), chunked: true };
    },
  };
}

/** Filters inside `members[…]` name sub-attributes of `members`. */
function memberCatalogue(schema: ResourceSchema) {
  return {
    describe: (path: { schema: string | null; attribute: string; subAttribute: string | null }) =>
      schema.catalogue.describe({ schema: null, attribute: 'members', subAttribute: path.attribute }),
  };
}
