// Derives the bridge's machine-checked contract with the Dynatrace Account Management API from
// Dynatrace's published OpenAPI description: only the operations the bridge's client sends or its
// sandbox serves — paths, methods, parameters, request and response schemas — without prose.
//
//   npm run contract:dynatrace -- <spec_formatted.json> [--check]
//
// The input is the spec as Dynatrace vendors it (SPEC_SOURCE below); the output is
// test/fixtures/dynatrace/account-management.contract.json. `--check` compares instead of writing
// and exits 1 when the committed contract is not what the spec gives.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CONTRACT_FILE = 'test/fixtures/dynatrace/account-management.contract.json';

/** Where the spec comes from (also served live at https://api.dynatrace.com/spec-json). */
export const SPEC_SOURCE = Object.freeze({
  repository: 'https://github.com/Dynatrace/dynatrace-configuration-as-code-core',
  path: 'gen/specs/account_management/spec_formatted.json',
  commit: '8e90a9d49d4b3dea1aab07893818dafb18a132f6',
  url: 'https://raw.githubusercontent.com/Dynatrace/dynatrace-configuration-as-code-core/8e90a9d49d4b3dea1aab07893818dafb18a132f6/gen/specs/account_management/spec_formatted.json',
  licence: 'Apache-2.0',
});

/** The operations the bridge uses, by the spec's operationId: what the client sends and the sandbox serves. */
export const USED_OPERATIONS: readonly string[] = [
  'UsersController_getUsers',
  'UsersController_createUserForAccount',
  'UsersController_getUserGroups',
  'UsersController_addUserToGroups',
  'UsersController_removeUserFromAccount',
  'UsersController_replaceUserGroups',
  'UsersController_removeUserFromGroups',
  'GroupsController_getGroups',
  'GroupsController_createGroups',
  'GroupsController_editGroup',
  'GroupsController_deleteGroup',
  'GroupsController_getUsersForGroup',
  'PermissionsController_getGroupPermissions',
  'PermissionsController_addGroupPermissions',
  'PermissionsController_overwriteGroupPermissions',
  'PermissionsController_removeGroupPermissions',
  'getLevelPolicies',
  'getPolicyOverviewList',
  'getPolicyBoundaries',
  'getAllLevelPoliciesBindings',
  'getPolicyUuidsBindings',
  'updatePolicyBindingsToGroup',
  'getLevelPolicyBindings',
  'getLevelPolicyBindingsForGroup',
  'appendParticularGroupBinding',
  'updateLevelPolicyBindingForPolicyAndGroup',
  'deleteLevelPolicyBindingsForPolicyAndGroup',
  'ServiceUsersController_getServiceUsersFromAccount',
  'EnvironmentResourcesController_getEnvironmentResources',
  'EnvironmentResourcesController_getEnvironments',
  'getLimitsForAccount',
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PROSE = new Set(['description', 'summary', 'example', 'examples', 'title', 'readOnly', 'x-token-scopes', 'tags', 'security', 'deprecated']);
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

/**
 * What Dynatrace documents outside the spec, added with its source: the paged environments v3
 * (documentation page), and the `details=true` answer of a group's bindings (the shape Dynatrace's
 * Terraform provider reads; the spec's schema for it lists only `policyUuids`).
 */
const SUPPLEMENTS = [
  {
    what: 'GET /env/v3/accounts/{account-uuid}/environments (listEnvironmentsV3): paged environments replacing v2; record fields as in v2',
    source: 'https://docs.dynatrace.com/docs/dynatrace-api/account-management-api/environment-management-api/get-environments-api-v3',
  },
  {
    what: 'getPolicyUuidsBindings 200 with details=true: bindingsDetails[] {policyUuid, groups, parameters, metadata, boundaries, levelType, levelId}',
    source: 'https://github.com/dynatrace-oss/terraform-provider-dynatrace/blob/main/dynatrace/api/iam/v2bindings/service.go',
  },
];

const ENVIRONMENTS_V3: JsonObject = {
  operationId: 'listEnvironmentsV3',
  method: 'GET',
  path: '/env/v3/accounts/{account-uuid}/environments',
  parameters: [
    { name: 'account-uuid', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'environment-state', in: 'query', required: false, schema: { type: 'string' } },
    { name: 'page', in: 'query', required: false, schema: { type: 'string' } },
    { name: 'page-size', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } },
  ],
  requestBody: null,
  responses: { '200': { $ref: '#/components/schemas/EnvironmentPageDto' } },
};

const SUPPLEMENT_SCHEMAS: Record<string, JsonObject> = {
  EnvironmentPageDto: {
    type: 'object',
    properties: {
      records: { type: 'array', items: { $ref: '#/components/schemas/EnvironmentDto' } },
      nextPageKey: { type: 'string' },
      totalRecordCount: { type: 'integer' },
      hasNextPage: { type: 'boolean' },
    },
    required: ['records'],
  },
  BindingDetailsDto: {
    type: 'object',
    properties: {
      policyUuid: { type: 'string' },
      groups: { type: 'array', items: { type: 'string' } },
      parameters: { type: 'object', additionalProperties: { type: 'string' } },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      boundaries: { type: 'array', items: { type: 'string' } },
      levelType: { type: 'string' },
      levelId: { type: 'string' },
    },
    required: ['policyUuid', 'groups', 'boundaries'],
  },
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy without prose keys (inside `properties`, keys are property names and stay). */
function withoutProse(value: Json, inProperties = false): Json {
  if (Array.isArray(value)) return value.map((v) => withoutProse(v));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (!inProperties && PROSE.has(key)) continue;
    out[key] = withoutProse(v, !inProperties && key === 'properties');
  }
  return out;
}

function refsIn(value: Json, found: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.add(v.replace('#/components/schemas/', ''));
      else refsIn(v, found);
    }
  }
}

function jsonBodySchema(content: Json | undefined): Json {
  if (!isObject(content)) return null;
  const json = content['application/json'];
  return isObject(json) && json['schema'] !== undefined ? withoutProse(json['schema']) : null;
}

export function deriveContract(specText: string): JsonObject {
  const spec = JSON.parse(specText) as JsonObject;
  const paths = spec['paths'] as Record<string, JsonObject>;
  const schemas = (spec['components'] as JsonObject)['schemas'] as Record<string, Json>;
  const operations: JsonObject[] = [];
  for (const id of USED_OPERATIONS) {
    const found = Object.entries(paths).flatMap(([p, item]) =>
      METHODS.filter((m) => isObject(item[m]) && (item[m] as JsonObject)['operationId'] === id).map((m) => ({ p, m, op: item[m] as JsonObject })),
    );
    if (found.length !== 1) throw new Error(`operation ${id}: found ${found.length} times in the spec`);
    const { p, m, op } = found[0] as { p: string; m: string; op: JsonObject };
    const body = op['requestBody'];
    const responses: JsonObject = {};
    for (const [status, response] of Object.entries((op['responses'] ?? {}) as JsonObject)) {
      responses[status] = isObject(response) ? jsonBodySchema(response['content']) : null;
    }
    if (id === 'getPolicyUuidsBindings') responses['200'] = { $ref: '#/components/schemas/PolicyUuidsWithBindingDetailsDto' };
    operations.push({
      operationId: id,
      method: m.toUpperCase(),
      path: p,
      parameters: ((op['parameters'] ?? []) as Json[]).map((param) => withoutProse(param)),
      requestBody: isObject(body) ? { required: body['required'] === true, schema: jsonBodySchema(body['content']) } : null,
      responses,
    });
  }
  operations.push(ENVIRONMENTS_V3);

  const used = new Set<string>();
  refsIn(operations, used);
  refsIn(Object.values(SUPPLEMENT_SCHEMAS), used);
  const picked: JsonObject = {};
  const queue = [...used];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (name in picked || name in SUPPLEMENT_SCHEMAS || name === 'PolicyUuidsWithBindingDetailsDto') continue;
    const schema = schemas[name];
    if (schema === undefined) throw new Error(`schema ${name} is not in the spec`);
    picked[name] = withoutProse(schema);
    const more = new Set<string>();
    refsIn(picked[name], more);
    queue.push(...more);
  }
  const base = withoutProse(schemas['PolicyUuidsWithoutMetadataDto'] ?? null) as JsonObject;
  const withDetails: JsonObject = {
    ...base,
    properties: { ...(base['properties'] as JsonObject), bindingsDetails: { type: 'array', items: { $ref: '#/components/schemas/BindingDetailsDto' } } },
  };
  const ordered: JsonObject = {};
  for (const name of Object.keys({ ...picked, ...SUPPLEMENT_SCHEMAS }).sort()) ordered[name] = (picked[name] ?? SUPPLEMENT_SCHEMAS[name]) as Json;
  ordered['PolicyUuidsWithBindingDetailsDto'] = withDetails;

  const info = spec['info'] as JsonObject;
  return {
    contract: 'Dynatrace Account Management API, as the bridge uses it',
    derivedBy: 'tools/derive-dynatrace-contract.ts',
    source: { ...SPEC_SOURCE, title: info['title'] as string, version: info['version'] as string, openapi: spec['openapi'] as string, sha256: createHash('sha256').update(specText).digest('hex') },
    supplements: SUPPLEMENTS,
    operations,
    components: { schemas: ordered },
  };
}

function main(argv: readonly string[]): number {
  const args = argv.filter((a) => a !== '--check');
  const check = argv.includes('--check');
  const specFile = args[0];
  if (specFile === undefined || args.length !== 1) {
    process.stderr.write(`usage: npm run contract:dynatrace -- <spec_formatted.json> [--check]\n  the spec: ${SPEC_SOURCE.url}\n`);
    return 2;
  }
  const text = `${JSON.stringify(deriveContract(readFileSync(specFile, 'utf8')), null, 2)}\n`;
  const target = path.resolve(CONTRACT_FILE);
  if (check) {
    const same = readFileSync(target, 'utf8') === text;
    process.stdout.write(same ? `${CONTRACT_FILE} is what the spec gives\n` : `${CONTRACT_FILE} differs from what the spec gives: run without --check\n`);
    return same ? 0 : 1;
  }
  writeFileSync(target, text);
  process.stdout.write(`wrote ${CONTRACT_FILE}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
