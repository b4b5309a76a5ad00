// The Helm chart (helm/), checked without a helm binary: every values file against values.schema.json
// (as helm lint does), the templates' references to values and their block structure, the documentation
// of every value, and that the chart sets only environment variables src/config.ts reads, with the
// bridge's own defaults, so that chart and code cannot drift apart.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parse, parseDocument, type YAMLMap } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { parseMapping } from '../../src/mapping-file.js';

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
    ['JWT is enabled without an issuer', { auth: { jwt: { enabled: true, jwksUrl: 'https://idp.example.com/jwks', audiences: ['scim'] } } }, '/auth/jwt/issuer'],
    ['JWT algorithms include HS256', { auth: { jwt: { algorithms: ['HS256'] } } }, '/auth/jwt/algorithms/0'],
    ['a Dynatrace account is set without a client id', { dynatrace: { accountUuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' } }, '/dynatrace/clientId'],
    ['a Dynatrace client id is set without an account', { dynatrace: { clientId: 'dt0s02.X' } }, '/dynatrace/clientId'],
    ['the metrics port is the SCIM port', { metrics: { port: 8080 } }, '/metrics/port'],
    ['the ingress is enabled without a host', { ingress: { enabled: true } }, '/ingress/hosts'],
    ['the mapping is both inline and in an existing ConfigMap', { mapping: { content: 'groups: []', existingConfigMap: 'mapping' } }, '/mapping'],
    ['the database URL is not PostgreSQL', { database: { enabled: true, url: 'mysql://db/bridge' } }, '/database/url'],
    ['the pull policy is unknown', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy'],
    ['the shutdown timeout is below the bridge minimum', { shutdownTimeoutMs: 500 }, '/shutdownTimeoutMs'],
  ];
  it.each(wrong)('when %s, then the schema rejects it', (_case, override, path) => {
    const problems = schemaProblems(mergeValues(values, override));
    expect(problems.filter((problem) => problem.startsWith(`${path}: `))).not.toEqual([]);
  });

  it.each(ciFiles)('when ci/%s carries mapping.content, then the bridge accepts it as a mapping file', (file) => {
    const content = valueAt(ciValues(file), 'mapping.content') as string;
    if (content !== '') expect(() => parseMapping(content)).not.toThrow();
    expect(valueAt(values, 'mapping.content')).toBe('');
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
    const secretNames = ['SCIM_TOKENS', 'DT_CLIENT_SECRET', 'DAVIS_ASSISTANT_TOKEN', 'DATABASE_URL', 'METRICS_TOKEN'];
    const env = deploymentEnv();
    expect(env.filter((entry) => secretNames.includes(entry.name))).toEqual([]);
    expect(env.filter((entry) => entry.name.endsWith('_FILE') && entry.name !== 'MAPPING_FILE').map((entry) => entry.value)).toEqual([
      '/run/secrets/scim-bridge/scim-tokens',
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

  it("when values.yaml's defaults become the environment, then the bridge's configuration is its own default one (but the metrics port)", () => {
    const env: Record<string, string> = {};
    for (const entry of deploymentEnv()) {
      const value = renderEnvValue(entry.value, values);
      if (value !== null) env[entry.name] = value;
    }
    expect(Object.keys(env).length).toBeGreaterThan(25);
    const fromChart = loadConfig(env);
    expect(fromChart.metrics.port).toBe(9464);
    expect({ ...fromChart, metrics: { ...fromChart.metrics, port: null } }).toEqual(loadConfig({}));
  });

  it('when the deployment derives terminationGracePeriodSeconds, then it is the preStop pause plus the shutdown timeout plus 10 seconds', () => {
    expect(readChart('templates/_helpers.tpl')).toContain(
      '{{- add (int .Values.preStopSleepSeconds) (div (add (int64 .Values.shutdownTimeoutMs) 999) 1000) 10 }}',
    );
    expect(deployment).toContain('terminationGracePeriodSeconds: {{ include "scim-bridge.terminationGracePeriodSeconds" . }}');
    expect(deployment).toContain('command: ["sleep", "{{ int .Values.preStopSleepSeconds }}"]');
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
