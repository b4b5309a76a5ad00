// The Helm chart (helm/), checked without a helm binary: every values file against values.schema.json
// (as helm lint does), the render-time refusal of contradicting values (the chart's own validate template,
// run by a small Go-template interpreter), the templates' references to values and their block structure,
// the documentation of every value, that the chart sets only environment variables src/config.ts reads,
// with the bridge's own defaults, and that its alerts and dashboard use only metrics the bridge exports.
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parse, parseDocument, type YAMLMap } from 'yaml';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { parseMapping } from '../../src/mapping-file.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { registerStateGauges } from '../../src/observability/metrics-state.js';
import { HelmFailure, parseChart, parseDefines, runDefine } from '../helpers/helm-template.js';

type Values = Record<string, unknown>;

const chartDir = fileURLToPath(new URL('../../helm/', import.meta.url));
const readChart = (file: string): string => readFileSync(`${chartDir}${file}`, 'utf8');
const isValues = (value: unknown): value is Values => typeof value === 'object' && value !== null && !Array.isArray(value);

const valuesText = readChart('values.yaml');
const values = parse(valuesText) as Values;
const ciFiles = readdirSync(`${chartDir}ci`).filter((file) => file.endsWith('.yaml')).sort();
const templateFiles = readdirSync(`${chartDir}templates`)
  .filter((file) => /\.(yaml|tpl|txt)$/.test(file))
  .sort();
const templates = templateFiles.map((file) => ({ file, text: readChart(`templates/${file}`) }));
const deployment = readChart('templates/deployment.yaml');
const validateValues = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readChart('values.schema.json')) as object);

/** Helm's coalescing of a values file over the chart's values: maps merge deeply, null deletes, anything else replaces. */
function mergeValues(base: Values, override: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else if (isValues(value) && isValues(merged[key])) merged[key] = mergeValues(merged[key], value);
    else merged[key] = value;
  }
  return merged;
}

const ciValues = (file: string): Values => mergeValues(values, parse(readChart(`ci/${file}`)) as Values);

/** Each values file's problems as `instancePath: message`; empty when it is valid. */
function schemaProblems(candidate: Values): string[] {
  if (validateValues(candidate)) return [];
  return (validateValues.errors ?? []).map((error) => `${error.instancePath}: ${error.message ?? ''}`);
}

/** The value at a dotted path (`a.b.c`), or undefined when some segment is missing or not a map. */
function valueAt(root: Values, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (!isValues(current) || !(segment in current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Every environment variable src/config.ts reads: plain names, and `NAME_FILE` for each secret. */
function configEnvNames(): Set<string> {
  const source = readFileSync(fileURLToPath(new URL('../../src/config.ts', import.meta.url)), 'utf8');
  const names = new Set<string>();
  for (const match of source.matchAll(/reader\.(string|integer|boolean|url|secret)\('([A-Z][A-Z0-9_]*)'/g)) {
    names.add(match[2]!);
    if (match[1] === 'secret') names.add(`${match[2]!}_FILE`);
  }
  for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
  return names;
}

/** The deployment's env entries: name and the template expression (or literal) of its value. */
function deploymentEnv(): { name: string; value: string }[] {
  return [...deployment.matchAll(/^\s*- name: ([A-Z][A-Z0-9_]*)\n\s*value: (.+)$/gm)].map((match) => ({ name: match[1]!, value: match[2]!.trim() }));
}

/** The value an env entry renders to from `source`; null for a literal (a fixed path or port, not a value). */
function renderEnvValue(expression: string, source: Values): string | null {
  if (!expression.includes('.Values')) return null;
  const simple = /^\{\{ \.Values\.([\w.]+)((?: \| (?:int64|toString))*) \| quote \}\}$/.exec(expression);
  if (simple) return String(valueAt(source, simple[1]!));
  const joined = /^\{\{ join "," \.Values\.([\w.]+) \| quote \}\}$/.exec(expression);
  if (joined) return (valueAt(source, joined[1]!) as unknown[]).join(',');
  throw new Error(`unsupported env expression ${expression}: use {{ .Values.x | quote }}, {{ .Values.x | int64 | quote }} or {{ join "," .Values.x | quote }}`);
}

describe('Helm chart: values.schema.json', () => {
  it('when values.yaml is checked against the schema, then it is valid', () => {
    expect(schemaProblems(values)).toEqual([]);
  });

  it('when the ci scenarios are listed, then sqlite, postgres and existing-secret are among them', () => {
    expect(ciFiles).toEqual(expect.arrayContaining(['sqlite-values.yaml', 'postgres-values.yaml', 'existing-secret-values.yaml']));
  });

  it.each(ciFiles)('when ci/%s is merged over values.yaml, then the result is valid', (file) => {
    expect(schemaProblems(ciValues(file))).toEqual([]);
  });

  const wrong: [string, Values, string][] = [
    ['replicaCount is a string', { replicaCount: '2' }, '/replicaCount'],
    ['logLevel is not a pino level', { logLevel: 'verbose' }, '/logLevel'],
    ['a top-level key is misspelt', { replicas: 2 }, ''],
    ['a nested key is misspelt', { persistence: { sizes: '1Gi' } }, '/persistence'],
    ['scim.basePath ends with a slash', { scim: { basePath: '/scim/v2/' } }, '/scim/basePath'],
    ['a SCIM token is shorter than 16 characters', { auth: { scimTokens: ['short-token'] } }, '/auth/scimTokens/0'],
    ['JWT algorithms include HS256', { auth: { jwt: { algorithms: ['HS256'] } } }, '/auth/jwt/algorithms/0'],
    ['the metrics port is the SCIM port', { metrics: { port: 8080 } }, '/metrics/port'],
    ['the database URL is not PostgreSQL', { database: { enabled: true, url: 'mysql://db/bridge' } }, '/database/url'],
    ['the pull policy is unknown', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy'],
    ['the shutdown timeout is below the bridge minimum', { shutdownTimeoutMs: 500 }, '/shutdownTimeoutMs'],
    ['the https proxy is not an http(s) URL', { proxy: { httpsProxy: 'socks5://proxy.example.com:1080' } }, '/proxy/httpsProxy'],
    ['the proxy URL has a path', { proxy: { httpProxy: 'http://proxy.example.com:3128/path' } }, '/proxy/httpProxy'],
    ['an admin token is shorter than 16 characters', { operators: { adminTokens: ['short-admin'] } }, '/operators/adminTokens/0'],
    ['an admin token holds a comma', { operators: { adminTokens: ['admin-token-0123456789,abcdef'] } }, '/operators/adminTokens/0'],
    ['acceptsScimToken is a string', { operators: { acceptsScimToken: 'true' } }, '/operators/acceptsScimToken'],
    ['the console session secret is shorter than 32 characters', { console: { sessionSecret: 'x'.repeat(31) } }, '/console/sessionSecret'],
    ['console sessions last no minute', { console: { sessionMinutes: 0 } }, '/console/sessionMinutes'],
    ['console sessions last more than a day', { console: { sessionMinutes: 1441 } }, '/console/sessionMinutes'],
    ['a console key is misspelt', { console: { sessionSeconds: 60 } }, '/console'],
    ['the OIDC issuer is plain http off loopback', { console: { oidc: { issuer: 'http://login.example.com/' } } }, '/console/oidc/issuer'],
    ['the OIDC scopes lack openid', { console: { oidc: { scopes: 'email profile' } } }, '/console/oidc/scopes'],
    ['an OIDC admin value holds a comma', { console: { oidc: { adminValues: ['ops,admins'] } } }, '/console/oidc/adminValues/0'],
    ['the OIDC redirect URL ends with a slash', { console: { oidc: { redirectUrl: 'https://scim.example.com/console/oidc/callback/' } } }, '/console/oidc/redirectUrl'],
  ];
  it.each(wrong)('when %s, then the schema rejects it', (_case, override, path) => {
    const problems = schemaProblems(mergeValues(values, override));
    expect(problems.filter((problem) => problem.startsWith(`${path}: `))).not.toEqual([]);
  });

  const right: [string, Values][] = [
    ['a console session secret of exactly 32 characters', { console: { sessionSecret: 'x'.repeat(32) } }],
    ['an OIDC issuer on loopback over http', { console: { oidc: { issuer: 'http://127.0.0.1:9000/' } } }],
    ['OIDC scopes with openid in the middle', { console: { oidc: { scopes: 'email openid groups' } } }],
    ['an OIDC redirect URL with a path', { console: { oidc: { redirectUrl: 'http://localhost:8080/console/oidc/callback' } } }],
  ];
  it.each(right)('when %s is given, then the schema accepts it', (_case, override) => {
    expect(schemaProblems(mergeValues(values, override))).toEqual([]);
  });

  it.each(ciFiles)('when ci/%s carries mapping.content, then the bridge accepts it as a mapping file', (file) => {
    const content = valueAt(ciValues(file), 'mapping.content') as string;
    if (content !== '') expect(() => parseMapping(content)).not.toThrow();
    expect(valueAt(values, 'mapping.content')).toBe('');
  });
});

const defines = parseDefines(readChart('templates/_helpers.tpl'));

/** The message of the chart's `fail` for these values over values.yaml, or null when the render goes on. */
function renderFailure(override: Values): string | null {
  try {
    runDefine(defines, 'scim-bridge.validate', { Values: mergeValues(values, override) });
    return null;
  } catch (error) {
    if (error instanceof HelmFailure) return error.message;
    throw error;
  }
}

const ACCOUNT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const POSTGRES: Values = { database: { enabled: true, url: 'postgres://bridge:pw@db:5432/bridge' }, auth: { scimTokens: ['ci-token-0123456789abcdef'] } };
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SESSION_SECRET = 'console-session-secret-0123456789abcdef';
/** Operator credentials every pod shares: what several pods need. */
const OPERATORS: Values = { operators: { adminTokens: [ADMIN_TOKEN] }, console: { sessionSecret: SESSION_SECRET } };
const OIDC = { issuer: 'https://login.example.com/', clientId: 'scim-console', adminValues: ['operators'] };

describe('Helm chart: contradictions are refused at render time', () => {
  it('when the deployment renders, then it runs the validate template first', () => {
    expect(deployment.split('\n')[1]).toBe('{{- include "scim-bridge.validate" . }}');
  });

  it('when values.yaml and each ci scenario are rendered, then nothing is refused', () => {
    expect(renderFailure({})).toBeNull();
    for (const file of ciFiles) expect(renderFailure(parse(readChart(`ci/${file}`)) as Values), file).toBeNull();
  });

  it('when the interpreter runs the chart helpers, then it computes what helm would (tokens present, the grace period)', () => {
    expect(runDefine(defines, 'scim-bridge.hasScimTokens', { Values: values })).toBe('');
    expect(runDefine(defines, 'scim-bridge.hasScimTokens', { Values: mergeValues(values, { existingSecret: 'mine' }) })).toBe('true');
    expect(runDefine(defines, 'scim-bridge.terminationGracePeriodSeconds', { Values: values })).toBe('40');
    expect(runDefine(defines, 'scim-bridge.terminationGracePeriodSeconds', { Values: mergeValues(values, { shutdownTimeoutMs: 30_001, preStopSleepSeconds: 0 }) })).toBe('41');
  });

  const contradictions: [string, Values, string][] = [
    ['a Dynatrace client id and secret are set without an account', { dynatrace: { clientId: 'dt0s02.X', clientSecret: 'dt0s02.X.secret' } }, 'dynatrace.accountUuid is empty: the bridge would run the in-process sandbox'],
    ['a Dynatrace client secret alone is set', { dynatrace: { clientSecret: 'dt0s02.X.secret' } }, 'dynatrace.accountUuid is empty'],
    ['a Dynatrace account is set without a client id', { dynatrace: { accountUuid: ACCOUNT, clientSecret: 'dt0s02.X.secret' } }, 'dynatrace.accountUuid is set but dynatrace.clientId is empty'],
    ['a Dynatrace account and client id are set without a secret', { dynatrace: { accountUuid: ACCOUNT, clientId: 'dt0s02.X' } }, 'dynatrace.accountUuid needs dynatrace.clientSecret'],
    ['several replicas run on SQLite', { replicaCount: 2 }, 'replicaCount > 1 needs PostgreSQL'],
    ['the autoscaler runs on SQLite', { autoscaling: { enabled: true } }, 'autoscaling.enabled needs PostgreSQL'],
    ['the autoscaler has more minimum than maximum pods', { ...POSTGRES, ...OPERATORS, autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } }, 'autoscaling.minReplicas is above autoscaling.maxReplicas'],
    [
      'several replicas on PostgreSQL have neither admin tokens nor a session secret',
      { ...POSTGRES, replicaCount: 2 },
      'replicaCount > 1 or autoscaling.enabled needs operators.adminTokens and console.sessionSecret (or keys admin-tokens and console-session-secret of existingSecret): each pod would generate its own',
    ],
    ['several replicas on PostgreSQL have admin tokens but no session secret', { ...POSTGRES, replicaCount: 3, operators: { adminTokens: [ADMIN_TOKEN] } }, 'replicaCount > 1 or autoscaling.enabled needs console.sessionSecret (or keys'],
    ['the autoscaler on PostgreSQL has a session secret but no admin tokens', { ...POSTGRES, autoscaling: { enabled: true }, console: { sessionSecret: SESSION_SECRET } }, 'replicaCount > 1 or autoscaling.enabled needs operators.adminTokens (or keys'],
    ['OIDC sign-in has an issuer only', { console: { oidc: { issuer: OIDC.issuer } } }, 'OIDC sign-in to the console is incomplete: console.oidc.issuer set but console.oidc.adminValues, console.oidc.clientId empty'],
    ['OIDC sign-in has no admin values', { console: { oidc: { issuer: OIDC.issuer, clientId: OIDC.clientId } } }, 'console.oidc.clientId, console.oidc.issuer set but console.oidc.adminValues empty'],
    ['OIDC sign-in has a client and admin values but no issuer', { console: { oidc: { clientId: OIDC.clientId, adminValues: OIDC.adminValues } } }, 'console.oidc.adminValues, console.oidc.clientId set but console.oidc.issuer empty'],
    ['an OIDC client secret is set without OIDC sign-in', { console: { oidc: { clientSecret: 'oidc-secret' } } }, 'console.oidc.clientSecret is set but console.oidc.issuer is empty'],
    ['an OIDC redirect URL is set without OIDC sign-in', { console: { oidc: { redirectUrl: 'https://scim.example.com/console/oidc/callback' } } }, 'console.oidc.redirectUrl is set but console.oidc.issuer is empty'],
    [
      'operator secrets are set beside an existing Secret',
      { existingSecret: 'mine', ...OPERATORS, console: { sessionSecret: SESSION_SECRET, oidc: { ...OIDC, clientSecret: 'oidc-secret' } } },
      'existingSecret is set, so console.oidc.clientSecret, console.sessionSecret, operators.adminTokens would be ignored',
    ],
    ['an OIDC client secret without OIDC sign-in is set beside an existing Secret', { existingSecret: 'mine', console: { oidc: { clientSecret: 'oidc-secret' } } }, 'existingSecret is set, so console.oidc.clientSecret would be ignored'],
    ['PostgreSQL runs without SCIM tokens', { database: { enabled: true, url: 'postgres://db/bridge' } }, 'database.enabled needs SCIM tokens'],
    ['PostgreSQL is enabled without a URL', { database: { enabled: true }, auth: { scimTokens: ['ci-token-0123456789abcdef'] } }, 'database.enabled needs database.url'],
    ['PostgreSQL is enabled beside an existing claim for SQLite', { ...POSTGRES, persistence: { existingClaim: 'old-data' } }, 'persistence.existingClaim is set but database.enabled'],
    ['an ingress has no host', { ingress: { enabled: true } }, 'ingress.enabled needs ingress.hosts'],
    ['the mapping is both inline and in an existing ConfigMap', { mapping: { content: 'groups: []', existingConfigMap: 'mapping' } }, 'mapping.content and mapping.existingConfigMap are both set'],
    ['JWT authentication has no issuer', { auth: { jwt: { enabled: true, jwksUrl: 'https://idp.example.com/jwks', audiences: ['scim'] } } }, 'auth.jwt.enabled needs auth.jwt.jwksUrl, auth.jwt.issuer'],
    ['JWT authentication has no audience', { auth: { jwt: { enabled: true, jwksUrl: 'https://idp.example.com/jwks', issuer: 'https://idp.example.com/' } } }, 'at least one of auth.jwt.audiences'],
    [
      'secret values are set beside an existing Secret',
      { existingSecret: 'mine', dynatrace: { accountUuid: ACCOUNT, clientId: 'dt0s02.X', clientSecret: 'dt0s02.X.secret' }, proxy: { httpsProxy: 'http://user:pw@proxy:3128' } },
      'existingSecret is set, so dynatrace.clientSecret, proxy.httpsProxy would be ignored',
    ],
    ['Davis Assistant is enabled without a token', { davisAssistant: { enabled: true } }, 'davisAssistant.enabled needs davisAssistant.token'],
    ['a Davis Assistant token is set with Davis Assistant disabled', { davisAssistant: { token: 'davis-token' } }, 'davisAssistant.token is set but davisAssistant.enabled is false'],
    ['a metrics token is required but not given', { metrics: { requireToken: true } }, 'metrics.requireToken needs metrics.token'],
    ['a metrics token is required with metrics disabled', { metrics: { enabled: false, requireToken: true, token: 'metrics-token-0123456789' } }, 'metrics.requireToken is set but metrics.enabled is false'],
    ['a ServiceMonitor is enabled without metrics', { metrics: { enabled: false }, serviceMonitor: { enabled: true } }, 'serviceMonitor.enabled needs metrics.enabled'],
    ['the PrometheusRule is enabled without metrics', { metrics: { enabled: false }, prometheusRule: { enabled: true } }, 'prometheusRule.enabled needs metrics.enabled'],
    ['the Grafana dashboard is enabled without metrics', { metrics: { enabled: false }, grafanaDashboard: { enabled: true } }, 'grafanaDashboard.enabled needs metrics.enabled'],
  ];
  it.each(contradictions)('when %s, then the render fails saying what to change', (_case, override, message) => {
    expect(schemaProblems(mergeValues(values, override))).toEqual([]);
    expect(renderFailure(override)).toContain(message);
  });

  const accepted: [string, Values][] = [
    ['several replicas on PostgreSQL share admin tokens and a session secret', { ...POSTGRES, ...OPERATORS, replicaCount: 2 }],
    ['the autoscaler on PostgreSQL shares admin tokens and a session secret', { ...POSTGRES, ...OPERATORS, autoscaling: { enabled: true } }],
    ['several replicas take the operator credentials from an existing Secret', { existingSecret: 'mine', database: { enabled: true }, replicaCount: 2 }],
    ['one pod on SQLite leaves its admin token and session secret to the bridge', {}],
    ['one pod on PostgreSQL leaves its admin token and session secret to the bridge', POSTGRES],
    ['OIDC sign-in is a public client', { console: { oidc: OIDC } }],
    ['OIDC sign-in is a confidential client with a redirect URL', { console: { oidc: { ...OIDC, clientSecret: 'oidc-secret', redirectUrl: 'https://scim.example.com/console/oidc/callback' } } }],
    ['OIDC sign-in takes its client secret from an existing Secret', { existingSecret: 'mine', console: { oidc: OIDC } }],
  ];
  it.each(accepted)('when %s, then the render goes on', (_case, override) => {
    expect(schemaProblems(mergeValues(values, override))).toEqual([]);
    expect(renderFailure(override)).toBeNull();
  });
});

const chartYaml = parse(readChart('Chart.yaml')) as { name: string; version: string; appVersion: string };
const chartTemplates = parseChart(chartYaml.name, templates);
const RELEASE = 'scim';
const FULLNAME = `${RELEASE}-${chartYaml.name}`;

/** A template file as helm renders it for these values over values.yaml (release `scim`); throws HelmFailure on a refusal. */
function renderTemplate(file: string, override: Values): string {
  return runDefine(chartTemplates, `${chartYaml.name}/templates/${file}`, {
    Values: mergeValues(values, override),
    Chart: { Name: chartYaml.name, Version: chartYaml.version, AppVersion: chartYaml.appVersion },
    Release: { Name: RELEASE, Namespace: 'identity', Service: 'Helm' },
    Template: { BasePath: `${chartYaml.name}/templates` },
  });
}

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } };
type Rendered = {
  env: EnvVar[];
  /** The Secret the chart creates, its keys decoded; null when it creates none (existingSecret). */
  secret: Record<string, string> | null;
  mountPath: string;
  secretVolume: string;
};

/** The bridge container's environment, its Secret mount and the chart's Secret, rendered for these values. */
function renderPod(override: Values): Rendered {
  const deploymentDoc = parse(renderTemplate('deployment.yaml', override)) as {
    spec: { template: { spec: { containers: { name: string; env: EnvVar[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: { secretName: string } }[] } } };
  };
  const pod = deploymentDoc.spec.template.spec;
  const container = pod.containers.find((candidate) => candidate.name === 'bridge')!;
  const secretText = renderTemplate('secret.yaml', override);
  const secretDoc = secretText.trim() === '' ? null : (parse(secretText) as { kind: string; metadata: { name: string }; data: Record<string, string> | null });
  if (secretDoc !== null) {
    expect(secretDoc).toMatchObject({ kind: 'Secret', metadata: { name: FULLNAME } });
  }
  return {
    env: container.env,
    secret: secretDoc === null ? null : Object.fromEntries(Object.entries(secretDoc.data ?? {}).map(([key, data]) => [key, Buffer.from(data, 'base64').toString('utf8')])),
    mountPath: container.volumeMounts.find((mount) => mount.name === 'secrets')!.mountPath,
    secretVolume: pod.volumes.find((volume) => volume.name === 'secrets')!.secret!.secretName,
  };
}

const envValue = (rendered: Rendered, name: string): string | undefined => rendered.env.find((entry) => entry.name === name)?.value;
const envNames = (rendered: Rendered, pattern: RegExp): string[] => rendered.env.map((entry) => entry.name).filter((name) => pattern.test(name));
const OPERATOR_ENV = /^(ADMIN_|CONSOLE_|OIDC_)/;

/**
 * The bridge's configuration from a rendered pod, as the container would load it: plain values as they are, the
 * Secret's keys as the files under its mount (`secretData`: the keys of existingSecret, when it is set), each
 * secretKeyRef from that Secret (an absent optional key sets nothing). DATA_DIR is a writable temporary directory.
 */
function bridgeConfig(rendered: Rendered, secretData: Record<string, string> | null = rendered.secret): Config {
  const keys = secretData ?? {};
  const env: Record<string, string> = {};
  for (const entry of rendered.env) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.valueFrom !== undefined) {
      const { name, key, optional } = entry.valueFrom.secretKeyRef;
      expect(name).toBe(rendered.secretVolume);
      if (key in keys) env[entry.name] = keys[key]!;
      else if (optional !== true) throw new Error(`the pod would not start: key ${key} is missing from Secret ${name}`);
    }
  }
  env['DATA_DIR'] = tmpdir();
  const prefix = `${rendered.mountPath}/`;
  return loadConfig(env, (file) => {
    const key = file.startsWith(prefix) ? file.slice(prefix.length) : null;
    if (key === null || !(key in keys)) throw new Error(`no file ${file}`);
    return keys[key]!;
  });
}

const configProblems = (run: () => unknown): readonly string[] => {
  try {
    run();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('Helm chart: operator credentials and the console, rendered', () => {
  it("when values.yaml's defaults are rendered, then the Secret holds no operator key and the bridge generates its own admin token and session key", () => {
    const rendered = renderPod({});
    expect(envNames(rendered, OPERATOR_ENV)).toEqual(['ADMIN_ACCEPTS_SCIM_TOKEN', 'CONSOLE_SESSION_MINUTES']);
    expect(envValue(rendered, 'ADMIN_ACCEPTS_SCIM_TOKEN')).toBe('false');
    expect(envValue(rendered, 'CONSOLE_SESSION_MINUTES')).toBe('60');
    expect(rendered.secret).toEqual({});
    expect(bridgeConfig(rendered).operators).toEqual({ tokens: [], scimTokenOpensAdmin: false, sessionSecret: null, sessionTtlSeconds: 3600, oidc: null });
  });

  it('when admin tokens and a session secret are given, then the Secret holds them under admin-tokens (comma-joined) and console-session-secret, read through *_FILE under the mount', () => {
    const rotated = 'admin-token-rotated-fedcba9876543210';
    const rendered = renderPod({ operators: { adminTokens: [ADMIN_TOKEN, rotated], acceptsScimToken: true }, console: { sessionSecret: SESSION_SECRET, sessionMinutes: 480 } });
    expect(rendered.secret).toEqual({ 'admin-tokens': `${ADMIN_TOKEN},${rotated}`, 'console-session-secret': SESSION_SECRET });
    expect(rendered.secretVolume).toBe(FULLNAME);
    expect(rendered.mountPath).toBe('/run/secrets/scim-bridge');
    expect(envValue(rendered, 'ADMIN_TOKENS_FILE')).toBe('/run/secrets/scim-bridge/admin-tokens');
    expect(envValue(rendered, 'CONSOLE_SESSION_SECRET_FILE')).toBe('/run/secrets/scim-bridge/console-session-secret');
    expect(envNames(rendered, /^(ADMIN_TOKENS|CONSOLE_SESSION_SECRET|OIDC_.*)$/)).toEqual([]);
    expect(envValue(rendered, 'ADMIN_ACCEPTS_SCIM_TOKEN')).toBe('true');
    expect(envValue(rendered, 'CONSOLE_SESSION_MINUTES')).toBe('480');
    expect(bridgeConfig(rendered).operators).toEqual({ tokens: [ADMIN_TOKEN, rotated], scimTokenOpensAdmin: true, sessionSecret: SESSION_SECRET, sessionTtlSeconds: 480 * 60, oidc: null });
  });

  it('when OIDC sign-in is a confidential client, then every OIDC_ variable is set and the client secret is key oidc-client-secret, read through OIDC_CLIENT_SECRET_FILE', () => {
    const oidc = { ...OIDC, adminValues: ['operators', 'admins'], clientSecret: 'oidc-client-secret-value', adminClaim: 'roles', scopes: 'openid email groups', redirectUrl: 'https://console.example.com/console/oidc/callback' };
    const rendered = renderPod({ console: { oidc } });
    expect(rendered.secret).toEqual({ 'oidc-client-secret': oidc.clientSecret });
    expect(Object.fromEntries(rendered.env.filter((entry) => entry.name.startsWith('OIDC_')).map((entry) => [entry.name, entry.value]))).toEqual({
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_CLIENT_SECRET_FILE: '/run/secrets/scim-bridge/oidc-client-secret',
      OIDC_ADMIN_CLAIM: 'roles',
      OIDC_ADMIN_VALUES: 'operators,admins',
      OIDC_SCOPES: 'openid email groups',
      OIDC_REDIRECT_URL: oidc.redirectUrl,
    });
    expect(bridgeConfig(rendered).operators.oidc).toEqual({
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      scopes: 'openid email groups',
      claim: 'roles',
      allowedValues: ['operators', 'admins'],
      redirectUrl: oidc.redirectUrl,
    });
  });

  it('when OIDC sign-in is a public client without a redirect URL, then no client secret and no OIDC_REDIRECT_URL are set and the defaults apply', () => {
    const rendered = renderPod({ console: { oidc: OIDC } });
    expect(rendered.secret).toEqual({});
    expect(envNames(rendered, /^OIDC_/)).toEqual(['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_ADMIN_CLAIM', 'OIDC_ADMIN_VALUES', 'OIDC_SCOPES']);
    expect(bridgeConfig(rendered).operators.oidc).toEqual({ ...OIDC, allowedValues: OIDC.adminValues, adminValues: undefined, clientSecret: null, claim: 'groups', scopes: 'openid email profile', redirectUrl: null });
  });

  it('when existingSecret is set, then the chart creates no Secret and the operator keys of that Secret are optional: present, the bridge uses them; absent, it starts without them', () => {
    const rendered = renderPod({ existingSecret: 'mine', console: { oidc: OIDC } });
    expect(rendered.secret).toBeNull();
    expect(rendered.secretVolume).toBe('mine');
    for (const [name, key] of [['ADMIN_TOKENS', 'admin-tokens'], ['CONSOLE_SESSION_SECRET', 'console-session-secret'], ['OIDC_CLIENT_SECRET', 'oidc-client-secret']]) {
      expect(rendered.env.find((entry) => entry.name === name), name).toEqual({ name, valueFrom: { secretKeyRef: { name: 'mine', key, optional: true } } });
    }
    expect(envNames(rendered, /^(ADMIN_TOKENS|CONSOLE_SESSION_SECRET|OIDC_CLIENT_SECRET)_FILE$/)).toEqual([]);
    const keys = { 'scim-tokens': 'scim-token-0123456789abcdef', 'admin-tokens': ADMIN_TOKEN, 'console-session-secret': SESSION_SECRET, 'oidc-client-secret': 'from-existing-secret' };
    const full = bridgeConfig(rendered, keys).operators;
    expect(full).toMatchObject({ tokens: [ADMIN_TOKEN], sessionSecret: SESSION_SECRET, oidc: { issuer: OIDC.issuer, clientSecret: 'from-existing-secret' } });
    const bare = bridgeConfig(rendered, { 'scim-tokens': 'scim-token-0123456789abcdef' }).operators;
    expect(bare).toMatchObject({ tokens: [], sessionSecret: null, oidc: { issuer: OIDC.issuer, clientSecret: null } });
  });

  it('when existingSecret is set without OIDC sign-in, then its oidc-client-secret key is not read (the bridge would call a lone client secret an incomplete OIDC setup)', () => {
    const rendered = renderPod({ existingSecret: 'mine' });
    expect(envNames(rendered, /^OIDC_/)).toEqual([]);
    expect(envNames(rendered, /^(ADMIN_TOKENS|CONSOLE_SESSION_SECRET)$/)).toEqual(['ADMIN_TOKENS', 'CONSOLE_SESSION_SECRET']);
    expect(bridgeConfig(rendered, { 'scim-tokens': 'scim-token-0123456789abcdef', 'oidc-client-secret': 'stray' }).operators.oidc).toBeNull();
  });

  it('when a session secret of the Secret were too short, then the bridge refuses it (what the schema keeps out of values)', () => {
    const rendered = renderPod({ existingSecret: 'mine' });
    expect(configProblems(() => bridgeConfig(rendered, { 'scim-tokens': 'scim-token-0123456789abcdef', 'console-session-secret': 'x'.repeat(31) }))).toEqual([
      'CONSOLE_SESSION_SECRET is shorter than 32 characters',
    ]);
  });

  it.each(ciFiles)('when ci/%s is rendered, then the bridge loads the configuration it gives (the Secret as the chart builds it, or every key of existingSecret)', (file) => {
    const override = parse(readChart(`ci/${file}`)) as Values;
    const rendered = renderPod(override);
    const existing = { 'scim-tokens': 'scim-token-0123456789abcdef', 'dt-client-secret': 'dt0s02.X.secret', 'davis-assistant-token': 'davis-token', 'database-url': 'postgres://bridge:pw@db:5432/bridge', 'metrics-token': 'metrics-token-0123456789', 'admin-tokens': ADMIN_TOKEN, 'console-session-secret': SESSION_SECRET, 'oidc-client-secret': 'oidc-secret' };
    const { operators } = bridgeConfig(rendered, rendered.secret ?? existing);
    const expected: Record<string, unknown> = {
      'sqlite-values.yaml': { tokens: [], scimTokenOpensAdmin: false, sessionSecret: null, oidc: null },
      'postgres-values.yaml': { tokens: ['ci-admin-token-0123456789abcdef'], sessionSecret: 'ci-console-session-secret-0123456789abcdef', sessionTtlSeconds: 480 * 60, oidc: { clientSecret: 'ci-oidc-client-secret', allowedValues: ['scim-bridge-operators'] } },
      'existing-secret-values.yaml': { tokens: [ADMIN_TOKEN], scimTokenOpensAdmin: true, sessionSecret: SESSION_SECRET, oidc: { claim: 'roles', clientSecret: 'oidc-secret', allowedValues: ['ScimBridge.Operator'] } },
    };
    expect(operators).toMatchObject(expected[file] ?? {});
  });
});

describe('Helm chart: templates', () => {
  it('when the templates are listed, then the chart has its resources and helpers', () => {
    expect(templateFiles).toEqual(
      expect.arrayContaining(['_helpers.tpl', 'NOTES.txt', 'deployment.yaml', 'service.yaml', 'secret.yaml', 'configmap.yaml', 'ingress.yaml', 'pvc.yaml']),
    );
  });

  it.each(templateFiles)('when %s refers to .Values, then every path exists in values.yaml', (file) => {
    const text = templates.find((template) => template.file === file)!.text;
    const paths = [...new Set([...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((match) => match[1]!.slice(1)))];
    expect(paths.filter((path) => valueAt(values, path) === undefined)).toEqual([]);
  });

  it.each(templateFiles)('when the blocks of %s are counted, then every if/range/with/define is closed by an end, in order', (file) => {
    const text = templates.find((template) => template.file === file)!.text;
    let depth = 0;
    for (const match of text.matchAll(/\{\{-?\s*(if|range|with|define|block|end)\b/g)) {
      depth += match[1] === 'end' ? -1 : 1;
      expect(depth, `an end without an opener in ${file}`).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });

  it('when the deployment sets environment variables, then src/config.ts reads every one of them', () => {
    const known = configEnvNames();
    expect(known).toContain('SCIM_TOKENS_FILE');
    expect(known.size).toBeGreaterThan(40);
    const set = [...deployment.matchAll(/^\s*- name: ([A-Z][A-Z0-9_]*)$/gm)].map((match) => match[1]!);
    expect(set.length).toBeGreaterThan(30);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });

  it('when the secrets reach the container, then only as *_FILE variables under the Secret mount', () => {
    const secretNames = ['SCIM_TOKENS', 'ADMIN_TOKENS', 'CONSOLE_SESSION_SECRET', 'OIDC_CLIENT_SECRET', 'DT_CLIENT_SECRET', 'DAVIS_ASSISTANT_TOKEN', 'DATABASE_URL', 'METRICS_TOKEN'];
    const env = deploymentEnv();
    expect(env.filter((entry) => secretNames.includes(entry.name))).toEqual([]);
    expect(env.filter((entry) => entry.name.endsWith('_FILE') && entry.name !== 'MAPPING_FILE').map((entry) => entry.value)).toEqual([
      '/run/secrets/scim-bridge/scim-tokens',
      '/run/secrets/scim-bridge/admin-tokens',
      '/run/secrets/scim-bridge/console-session-secret',
      '/run/secrets/scim-bridge/oidc-client-secret',
      '/run/secrets/scim-bridge/dt-client-secret',
      '/run/secrets/scim-bridge/davis-assistant-token',
      '/run/secrets/scim-bridge/database-url',
      '/run/secrets/scim-bridge/metrics-token',
    ]);
  });

  it('when an integer value becomes an environment variable, then it passes through int64 (helm would print 1048576 as 1.048576e+06)', () => {
    const numeric = deploymentEnv().filter((entry) => {
      const path = /\.Values\.([\w.]+)/.exec(entry.value)?.[1];
      return path !== undefined && typeof valueAt(values, path) === 'number';
    });
    expect(numeric.length).toBeGreaterThan(15);
    expect(numeric.filter((entry) => !entry.value.includes('| int64 |')).map((entry) => entry.name)).toEqual([]);
  });

  it("when values.yaml's defaults become the environment, then the bridge's configuration is its own default one but for the metrics port and readiness, which follows the store", () => {
    const env: Record<string, string> = {};
    for (const entry of deploymentEnv()) {
      const value = renderEnvValue(entry.value, values);
      if (value !== null) env[entry.name] = value;
    }
    expect(Object.keys(env).length).toBeGreaterThan(25);
    const fromChart = loadConfig(env);
    expect(fromChart.metrics.port).toBe(9464);
    expect(fromChart.readinessRequiresDynatrace).toBe(false);
    expect({ ...fromChart, metrics: { ...fromChart.metrics, port: null }, readinessRequiresDynatrace: true }).toEqual(loadConfig({}));
  });

  it('when the proxy settings reach the container, then the proxy URLs (which may carry credentials) come only from the Secret, under the keys the chart writes', () => {
    for (const [name, key] of [['HTTPS_PROXY', 'https-proxy'], ['HTTP_PROXY', 'http-proxy']] as const) {
      expect(deployment).toMatch(new RegExp(`- name: ${name}\\n\\s+valueFrom:\\n\\s+secretKeyRef:\\n\\s+name: \\{\\{ include "scim-bridge.secretName" \\. \\}\\}\\n\\s+key: ${key}\\n\\s+optional: true`));
      expect(readChart('templates/secret.yaml')).toContain(`${key}: {{ . | b64enc | quote }}`);
    }
    expect(deploymentEnv().filter((entry) => /^(HTTPS?|NO)_PROXY$/.test(entry.name)).map((entry) => entry.name)).toEqual(['NO_PROXY']);
  });

  it('when the deployment derives terminationGracePeriodSeconds, then it is the preStop pause plus the shutdown timeout plus 10 seconds', () => {
    expect(readChart('templates/_helpers.tpl')).toContain(
      '{{- add (int .Values.preStopSleepSeconds) (div (add (int64 .Values.shutdownTimeoutMs) 999) 1000) 10 }}',
    );
    expect(deployment).toContain('terminationGracePeriodSeconds: {{ include "scim-bridge.terminationGracePeriodSeconds" . }}');
    expect(deployment).toContain('command: ["sleep", "{{ int .Values.preStopSleepSeconds }}"]');
  });
});

/** Every metric name the bridge registers (src/observability), with the series a histogram adds. */
/** The bridge's series, read from a registry holding every metric it registers (histograms with their suffixes). */
function exportedSeries(): Set<string> {
  const { registry } = createMetrics();
  registerStateGauges(registry, {
    queueStats: async () => ({ depth: 0, oldestEnqueuedAt: null, failedCount: 0, retryingCount: 0 }),
    drainPerMinute: async () => 0,
    upstreamReachable: () => ({}),
    readiness: { check: async () => ({ ready: true, checks: { store: 'ok', dynatrace: 'ok', mapping: 'ok' } }), drain: () => undefined },
    now: () => new Date(),
    timeoutMs: 1_000,
  });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name } = metric;
    if (!name.startsWith('scim_bridge_')) continue;
    names.add(name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

const seriesIn = (expr: string): string[] => [...expr.matchAll(/\bscim_bridge_[a-z_]+/g)].map((match) => match[0]);

describe('Helm chart: alerts and dashboard', () => {
  const exported = exportedSeries();
  const rules = parse(readChart('files/prometheus-rules.yaml')) as { groups: { name: string; rules: { alert: string; expr: string; labels: Values; annotations: Values }[] }[] };
  const alerts = rules.groups.flatMap((group) => group.rules);
  const dashboard = JSON.parse(readChart('files/grafana-dashboard.json')) as { uid: string; title: string; panels: { type: string; targets?: { expr: string }[] }[] };

  it('when the metric names are collected, then they are the documented ones', () => {
    expect(exported.size).toBeGreaterThan(15);
    const documented = readFileSync(fileURLToPath(new URL('../../docs/metrics.md', import.meta.url)), 'utf8');
    for (const name of exported) if (!/_(bucket|sum|count)$/.test(name)) expect(documented, name).toContain(`\`${name}\``);
  });

  it('when the alerts are read, then they cover queue age, failed items, upstream errors, 429s and readiness, each with a severity and a summary, on exported series only', () => {
    const covered = new Set(alerts.flatMap((alert) => seriesIn(alert.expr)));
    for (const name of ['scim_bridge_sync_queue_oldest_age_seconds', 'scim_bridge_sync_failed_items', 'scim_bridge_upstream_requests_total', 'scim_bridge_upstream_throttled_total', 'scim_bridge_ready', 'scim_bridge_readiness']) {
      expect(covered, name).toContain(name);
    }
    for (const alert of alerts) {
      expect(seriesIn(alert.expr).filter((name) => !exported.has(name)), alert.alert).toEqual([]);
      expect(alert.labels['severity'], alert.alert).toMatch(/^(critical|warning|info)$/);
      expect(alert.annotations['summary'], alert.alert).toEqual(expect.any(String));
    }
    expect(new Set(alerts.map((alert) => alert.alert)).size).toBe(alerts.length);
  });

  it('when the dashboard is read, then every panel query uses exported series only and every metric family of the bridge is shown', () => {
    expect(dashboard).toMatchObject({ uid: 'dynatrace-scim-bridge', title: expect.any(String) });
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(queries.length).toBeGreaterThan(10);
    const shown = new Set(queries.flatMap(seriesIn));
    expect([...shown].filter((name) => !exported.has(name))).toEqual([]);
    const families = [...exported].filter((name) => !/_(bucket|sum|count)$/.test(name) && name !== 'scim_bridge_reconcile_findings_total' && name !== 'scim_bridge_reconcile_runs_total');
    expect(families.filter((name) => ![...shown].some((series) => series.startsWith(name)))).toEqual([]);
  });

  it('when the templates carry them, then the PrometheusRule and the dashboard ConfigMap (sidecar label by default) come from these files', () => {
    expect(readChart('templates/prometheusrule.yaml')).toContain('.Files.Get "files/prometheus-rules.yaml"');
    expect(readChart('templates/grafana-dashboard.yaml')).toContain('.Files.Get "files/grafana-dashboard.json"');
    expect(valueAt(values, 'grafanaDashboard.labels')).toEqual({ grafana_dashboard: '1' });
  });
});

describe('Helm chart: values.yaml documentation', () => {
  /** Every key with its dotted path, whether it is a section (a non-empty map), and the comment lines right above it. */
  function documentedKeys(): { path: string; section: boolean; comments: string[] }[] {
    const lines = valuesText.split('\n');
    const keys: { path: string; section: boolean; comments: string[] }[] = [];
    const walk = (map: YAMLMap, prefix: string): void => {
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) throw new Error(`unexpected key under ${prefix}`);
        const path = `${prefix}${String(pair.key.value)}`;
        const comments: string[] = [];
        for (let line = valuesText.slice(0, pair.key.range[0]).split('\n').length - 2; line >= 0 && lines[line]!.trim().startsWith('#'); line -= 1) {
          comments.unshift(lines[line]!.trim());
        }
        const section = isMap(pair.value) && pair.value.items.length > 0;
        keys.push({ path, section, comments });
        if (section) walk(pair.value as YAMLMap, `${path}.`);
      }
    };
    walk(parseDocument(valuesText).contents as YAMLMap, '');
    return keys;
  }

  it('when every key of values.yaml is read, then each value has a "# --" comment above it and each section a comment', () => {
    const keys = documentedKeys();
    expect(keys.length).toBeGreaterThan(100);
    const undocumented = keys.filter(({ section, comments }) => (section ? comments.length === 0 : !comments.some((c) => /^# -- \S/.test(c))));
    expect(undocumented.map(({ path }) => path)).toEqual([]);
  });
});

describe('Helm chart: Chart.yaml', () => {
  it('when Chart.yaml is read, then it is apiVersion v2 and its appVersion is the package version', () => {
    const chart = parse(readChart('Chart.yaml')) as Values;
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { name: string; version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: pkg.name, type: 'application', appVersion: pkg.version });
  });
});
