// What each console page shows, read from the store, the admin service and the access chain: every read
// indexed and paged, so each page stays fast with 100,000 people (bench/console.ts).
import { readFileSync } from 'node:fs';
import type { AdminService } from '../core/admin.js';
import { diffMappings, type MappingDiff } from '../core/mapping/mapping-diff.js';
import { groupTarget } from '../core/mapping/mapping.js';
import { MappingFileError, parseMapping } from '../mapping-file.js';
import type { AuditFilter, AuditOutcome } from '../ports/audit-log.js';
import type { StoredResource } from '../ports/store.js';
import type { ConsoleDeps } from './console-deps.js';

/** A page that cannot be shown as asked (unknown id, bad filter): its status and what to tell the operator. */
export class ConsolePageError extends Error {
  override readonly name = 'ConsolePageError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Readonly<Record<string, unknown>>;

const PAGE_SIZE = 50;
const OUTCOMES: readonly AuditOutcome[] = ['applied', 'dry-run', 'failed', 'skipped'];
/** Members of a changed group listed in a mapping preview (the rest are counted). */
const PREVIEW_PEOPLE = 20;
/** Changed groups whose members a preview names (the others are counted). */
const PREVIEW_NAMED_GROUPS = 50;

export interface PersonRow {
  readonly id: string;
  readonly userName: string;
  readonly name: string;
  readonly email: string;
  readonly active: boolean;
}

export function createConsolePages(options: { readonly deps: ConsoleDeps; readonly admin: AdminService }) {
  const { deps, admin } = options;
  const { store } = deps;

  return {
    /** The notice after an action (`retried-3`, `dry-run-2`, `reconcile-0`). */
    noticeOf(done: string): string | null {
      const match = /^(retried|dry-run|reconcile)-(\d{1,9})$/.exec(done);
      if (match === null) return null;
      const n = Number(match[2]);
      if (match[1] === 'retried') return `${n} failed item${n === 1 ? '' : 's'} put back in the queue.`;
      if (match[1] === 'dry-run') return `Dry-run reconcile finished: ${n} finding${n === 1 ? '' : 's'}, nothing queued.`;
      return `Reconcile finished: ${n} finding${n === 1 ? '' : 's'}, repairs queued.`;
    },

    async overview() {
      const [status, readiness] = await Promise.all([admin.status(), deps.readiness.check()]);
      return { status, readiness };
    },

    async people(query: Query) {
      const text = stringParam(query, 'q', 200);
      const pageNumber = pageParam(query);
      const offset = (pageNumber - 1) * PAGE_SIZE;
      const found =
        text === ''
          ? await listPage((o, l) => store.findUsers({ where: null, offset: o, limit: l }), offset)
          : await store.searchUsers({ text, offset, limit: PAGE_SIZE }).then(({ users, more }) => ({ rows: users, more }));
      return { q: text, page: pageNumber, more: found.more, people: found.rows.map(personRow) };
    },

    async person(id: string) {
      const access = await deps.access.forUser(id);
      if (access === null) throw new ConsolePageError(404, 'No such person (the SCIM user may have been deleted).');
      const [record, audit] = await Promise.all([store.getUser(id), store.findAudit({ resourceId: id }, { offset: 0, limit: 25 })]);
      return {
        title: access.user.userName,
        access,
        record: JSON.stringify(record?.attributes ?? {}, null, 2),
        meta: record === null ? null : { created: record.created, lastModified: record.lastModified, version: record.version },
        audit: audit.entries,
        moreAudit: audit.more,
      };
    },

    async groups(query: Query) {
      const pageNumber = pageParam(query);
      const found = await listPage((o, l) => store.findGroups({ where: null, offset: o, limit: l }), (pageNumber - 1) * PAGE_SIZE);
      const ids = found.rows.map((g) => g.id);
      const [counts, applied] = await Promise.all([store.countMembersOfGroups(ids), store.getAppliedGroups(ids)]);
      const mapping = deps.mapping();
      const groups = found.rows.map((group) => {
        const displayName = textOf(group.attributes.displayName);
        const target = groupTarget(mapping, displayName);
        return {
          id: group.id,
          displayName,
          members: counts.get(group.id) ?? 0,
          dynatraceGroup: target?.dynatraceGroup ?? null,
          applied: applied.get(group.id)?.name === target?.dynatraceGroup,
          policies: target?.policies.length ?? 0,
        };
      });
      return { page: pageNumber, more: found.more, groups };
    },

    async group(id: string, query: Query) {
      const step = await deps.access.forGroup(id);
      if (step === null) throw new ConsolePageError(404, 'No such group (the SCIM group may have been deleted).');
      const pageNumber = pageParam(query);
      const offset = (pageNumber - 1) * PAGE_SIZE;
      const [members, counts, work] = await Promise.all([
        store.membersOfGroups([id]),
        store.countMembersOfGroups([id]),
        store.syncWorkOf([{ resourceType: 'Group', resourceId: id }]),
      ]);
      const all = members.get(id) ?? [];
      return {
        title: step.scimGroup.displayName,
        step,
        total: counts.get(id) ?? 0,
        members: all.slice(offset, offset + PAGE_SIZE),
        page: pageNumber,
        more: all.length > offset + PAGE_SIZE,
        pending: work,
      };
    },

    async audit(query: Query) {
      const filter = await auditFilter(query);
      const pageNumber = pageParam(query);
      const found = await store.findAudit(filter.filter, { offset: (pageNumber - 1) * PAGE_SIZE, limit: PAGE_SIZE });
      return { form: filter.form, page: pageNumber, more: found.more, entries: found.entries, outcomes: OUTCOMES, query: filter.query };
    },

    async mapping(pasted: string | null) {
      const inForce = deps.mapping();
      const file = deps.mappingFile === null ? null : readMappingText(deps.mappingFile);
      let preview: { diff: MappingDiff | null; problems: readonly string[]; people: Record<string, { total: number; names: string[] }> } | null = null;
      if (pasted !== null) {
        try {
          const next = parseMapping(pasted, 'pasted');
          const groups = await allGroups();
          const diff = diffMappings(inForce, next, groups);
          const ids = diff.groups.map((change) => change.group.id);
          // Names for the first groups only: a change reaching every group must not load every member.
          const [counts, members] = await Promise.all([store.countMembersOfGroups(ids), store.membersOfGroups(ids.slice(0, PREVIEW_NAMED_GROUPS))]);
          const people: Record<string, { total: number; names: string[] }> = {};
          for (const id of ids) people[id] = { total: counts.get(id) ?? 0, names: (members.get(id) ?? []).slice(0, PREVIEW_PEOPLE).map((m) => m.display) };
          preview = { diff, problems: [], people };
        } catch (error) {
          if (!(error instanceof MappingFileError)) throw error;
          preview = { diff: null, problems: error.problems, people: {} };
        }
      }
      return { file: deps.mappingFile, text: file, problems: deps.mappingProblems(), pasted: pasted ?? file ?? '', preview };
    },
  };

  /** Every SCIM group (at most a few thousand), in creation order, for a mapping preview. */
  async function allGroups(): Promise<Array<{ id: string; displayName: string }>> {
    const groups: Array<{ id: string; displayName: string }> = [];
    const chunk = 1000;
    for (let offset = 0; ; offset += chunk) {
      const page = await store.findGroups({ where: null, offset, limit: chunk });
      groups.push(...page.map((g) => ({ id: g.id, displayName: textOf(g.attributes.displayName) })));
      if (page.length < chunk) return groups;
    }
  }

  /** The filter from the form: a person or group by id or by name, operation, outcome, and a time range. */
  async function auditFilter(query: Query) {
    const form = {
      person: stringParam(query, 'person', 300),
      group: stringParam(query, 'group', 300),
      operation: stringParam(query, 'operation', 100),
      outcome: stringParam(query, 'outcome', 20),
      from: stringParam(query, 'from', 40),
      to: stringParam(query, 'to', 40),
    };
    if (form.person !== '' && form.group !== '') throw new ConsolePageError(400, 'Filter by a person or by a group, not both.');
    const filter: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
    if (form.person !== '') filter.resourceId = await resolveId('person', form.person);
    if (form.group !== '') filter.resourceId = await resolveId('group', form.group);
    if (form.operation !== '') filter.operation = form.operation;
    if (form.outcome !== '') {
      if (!(OUTCOMES as readonly string[]).includes(form.outcome)) throw new ConsolePageError(400, `Outcome must be one of ${OUTCOMES.join(', ')}.`);
      filter.outcome = form.outcome as AuditOutcome;
    }
    if (form.from !== '') filter.from = instantParam('from', form.from);
    if (form.to !== '') filter.to = instantParam('to', form.to);
    const query_ = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== '')).toString();
    return { form, filter, query: query_ };
  }

  /** A person (userName, email or id) or a group (displayName or id) as the id the audit log records. */
  async function resolveId(kind: 'person' | 'group', text: string): Promise<string> {
    const byId = kind === 'person' ? await store.getUser(text) : await store.getGroup(text);
    if (byId !== null) return byId.id;
    const found =
      kind === 'person'
        ? await store.findUsers({ where: { kind: 'or', operands: [{ kind: 'eq', attribute: 'userName', value: text }, { kind: 'eq', attribute: 'emails.value', value: text }] }, offset: 0, limit: 1 })
        : await store.findGroups({ where: { kind: 'eq', attribute: 'displayName', value: text }, offset: 0, limit: 1 });
    const [first] = found;
    if (first === undefined) throw new ConsolePageError(404, `No ${kind} "${text}" (give a ${kind === 'person' ? 'userName, email' : 'displayName'} or id).`);
    return first.id;
  }
}

/** One page of a creation-ordered listing, and whether more follow (one extra row read). */
async function listPage(read: (offset: number, limit: number) => Promise<StoredResource[]>, offset: number) {
  const rows = await read(offset, PAGE_SIZE + 1);
  return { rows: rows.slice(0, PAGE_SIZE), more: rows.length > PAGE_SIZE };
}

function personRow(user: StoredResource): PersonRow {
  const { attributes } = user;
  const name = typeof attributes.name === 'object' && attributes.name !== null && !Array.isArray(attributes.name) ? attributes.name : {};
  const formatted = [textOf(name.givenName), textOf(name.familyName)].filter((part) => part !== '').join(' ');
  const emails = Array.isArray(attributes.emails) ? attributes.emails : [];
  const email = emails.map((e) => (typeof e === 'object' && e !== null && !Array.isArray(e) ? textOf(e.value) : '')).find((v) => v !== '') ?? '';
  return { id: user.id, userName: textOf(attributes.userName), name: textOf(attributes.displayName) || formatted, email, active: attributes.active !== false };
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringParam(query: Query, name: string, maxLength: number): string {
  const value = query[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new ConsolePageError(400, `${name} must be given once.`);
  if (value.length > maxLength) throw new ConsolePageError(400, `${name} is longer than ${maxLength} characters.`);
  return value.trim();
}

function pageParam(query: Query): number {
  const text = stringParam(query, 'page', 9);
  if (text === '') return 1;
  if (!/^[1-9]\d*$/.test(text)) throw new ConsolePageError(400, 'page must be a whole number from 1.');
  return Number(text);
}

/** A date (`2026-12-07`) or a date and time (`2026-12-07T10:00`, read as UTC), as toISOString() writes it. */
function instantParam(name: string, text: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text) ? `${text}Z` : text;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new ConsolePageError(400, `${name} must be a date such as 2026-12-07 or a time such as 2026-12-07T10:00 (UTC).`);
  return new Date(time).toISOString();
}

function readMappingText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
