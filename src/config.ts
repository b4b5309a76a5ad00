// The one reader of process.env: every setting is parsed and validated here, at boot, and all
// problems are reported at once. Secrets may also come from files (`*_FILE`, for Kubernetes).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly scimBasePath: string;
  /** Static bearer tokens; several at once allow rotation. Empty: one is generated under dataDir. */
  readonly scimTokens: readonly string[];
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Absolute URL prefix for `meta.location` and `Location`, e.g. https://scim.example.com; else from the request. */
  readonly publicBaseUrl: string | null;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxBodyBytes: number;
  /** Most resources a filter without an index may examine before answering 400 tooMany. */
  readonly filterScanLimit: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_TOKEN_LENGTH = 16;

/** Parses the environment; throws ConfigError listing every problem. */
export function loadConfig(env: Env, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): Config {
  const problems: string[] = [];
  const reader = createReader(env, problems, readFile);

  const scimBasePath = reader.string('SCIM_BASE_PATH', '/scim/v2');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(scimBasePath)) {
    problems.push(`SCIM_BASE_PATH must look like /scim/v2 (a leading slash, no trailing slash), got "${scimBasePath}"`);
  }

  const tokensText = reader.secret('SCIM_TOKENS');
  const scimTokens = tokensText === null ? [] : tokensText.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tokensText !== null && scimTokens.length === 0) problems.push('SCIM_TOKENS is set but holds no token');
  scimTokens.forEach((token, index) => {
    if (token.length < MIN_TOKEN_LENGTH) {
      problems.push(`SCIM_TOKENS: token #${index + 1} is shorter than ${MIN_TOKEN_LENGTH} characters`);
    }
  });

  const logLevel = reader.string('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const publicBaseUrl = env.PUBLIC_BASE_URL?.trim() || null;
  if (publicBaseUrl !== null && !isHttpUrl(publicBaseUrl)) {
    problems.push(`PUBLIC_BASE_URL must be an absolute http(s) URL without a trailing slash, got "${publicBaseUrl}"`);
  }

  const defaultPageSize = reader.integer('SCIM_DEFAULT_PAGE_SIZE', 100, 1, 10_000);
  const maxPageSize = reader.integer('SCIM_MAX_PAGE_SIZE', 1000, 1, 10_000);
  if (defaultPageSize > maxPageSize) problems.push('SCIM_DEFAULT_PAGE_SIZE must not exceed SCIM_MAX_PAGE_SIZE');

  const config: Config = {
    port: reader.integer('PORT', 8080, 0, 65_535),
    host: reader.string('HOST', '0.0.0.0'),
    scimBasePath,
    scimTokens,
    dataDir: path.resolve(reader.string('DATA_DIR', './data')),
    logLevel: logLevel as LogLevel,
    publicBaseUrl,
    defaultPageSize,
    maxPageSize,
    maxBodyBytes: reader.integer('SCIM_MAX_BODY_BYTES', 1_048_576, 1024, 104_857_600),
    filterScanLimit: reader.integer('SCIM_FILTER_SCAN_LIMIT', 10_000, 1, 10_000_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !text.endsWith('/');
  } catch {
    return false;
  }
}

function createReader(env: Env, problems: string[], readFile: (file: string) => string) {
  return {
    string(name: string, fallback: string): string {
      const value = env[name]?.trim();
      return value === undefined || value === '' ? fallback : value;
    },
    integer(name: string, fallback: number, min: number, max: number): number {
      const text = env[name]?.trim();
      if (text === undefined || text === '') return fallback;
      const value = Number(text);
      if (!/^-?\d+$/.test(text) || value < min || value > max) {
        problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
        return fallback;
      }
      return value;
    },
    /** `NAME`, or the contents of the file named by `NAME_FILE`; never both. The value is never echoed. */
    secret(name: string): string | null {
      const direct = env[name];
      const file = env[`${name}_FILE`]?.trim();
      if (direct !== undefined && direct !== '' && file) {
        problems.push(`set ${name} or ${name}_FILE, not both`);
        return null;
      }
      if (file) {
        try {
          return readFile(file).trim();
        } catch {
          problems.push(`${name}_FILE: cannot read "${file}"`);
          return null;
        }
      }
      return direct === undefined || direct === '' ? null : direct;
    },
  };
}
