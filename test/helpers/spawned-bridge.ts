// The real bridge as a child process: src/main.ts and what it imports, compiled with the project's
// tsconfig into a fresh directory under dist/ (git-ignored, next to node_modules so imports resolve),
// started with `node` and only the environment a test gives it; every byte of stdout and stderr kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { copyConsoleAssets } from '../../tools/copy-console-assets.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface BuiltBridge {
  /** The compiled src/main.js. */
  readonly entry: string;
  remove(): void;
}

/**
 * Compiles src/main.ts (or another program of the bridge, e.g. src/explain-cli.ts) and its imports to a
 * fresh folder under dist/ (a few seconds); type errors do not stop the output.
 */
export function buildBridge(program: string = 'src/main.ts'): BuiltBridge {
  const distDir = path.join(root, 'dist');
  mkdirSync(distDir, { recursive: true });
  const outDir = mkdtempSync(path.join(distDir, 'spawned-bridge-'));
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    },
  });
  if (parsed === undefined) throw new Error('tsconfig.json could not be read');
  const compiled = ts.createProgram([path.join(root, program)], { ...parsed.options, noEmit: false, noEmitOnError: false, outDir, rootDir: root, sourceMap: false });
  const result = compiled.emit();
  if (result.emitSkipped) throw new Error('the bridge could not be compiled');
  copyConsoleAssets(root, outDir);
  return { entry: path.join(outDir, program.replace(/\.ts$/, '.js')), remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

export interface SpawnedBridge {
  /** http://127.0.0.1:<port> of the main listener. */
  readonly url: string;
  /** http://127.0.0.1:<port> of the metrics listener, when METRICS_PORT was set. */
  readonly metricsUrl: string | null;
  /** Everything written to stdout and stderr so far, in arrival order. */
  output(): string;
  /** True once `text` has appeared in the output. */
  printed(text: string): boolean;
  signal(name: 'SIGTERM' | 'SIGINT'): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** SIGKILL, unless it has exited already (cleanup). */
  kill(): Promise<void>;
}

/** Runs the compiled bridge with exactly `env` until it exits by itself (a refused start), at most `timeoutMs`. */
export async function runUntilExit(entry: string, env: Record<string, string>, timeoutMs = 20_000): Promise<{ readonly code: number | null; readonly output: string }> {
  const child = spawn(process.execPath, [entry], { cwd: root, env: { HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/**
 * Starts the compiled bridge with exactly `env` (HOST/PORT default to 127.0.0.1:0) and waits until it
 * listens — and, with METRICS_PORT set, until its metrics listener does too.
 */
export async function spawnBridge(
  entry: string,
  env: Record<string, string>,
  options: { readonly startTimeoutMs?: number; /** Told of everything written so far, as it arrives (before the bridge listens too). */ readonly onOutput?: (output: string) => void } = {},
): Promise<SpawnedBridge> {
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: root,
    env: { HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    stdout += chunk.toString('utf8');
    options.onOutput?.(output);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    options.onOutput?.(output);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const wantMetrics = env['METRICS_PORT'] !== undefined;

  const ports = (): { port: number | null; metricsPort: number | null } => {
    let port: number | null = null;
    let metricsPort: number | null = null;
    // Complete log lines only (the last one may still be arriving).
    for (const line of stdout.split('\n').slice(0, -1)) {
      const entry = JSON.parse(line) as { port?: number; metricsPort?: number };
      if (typeof entry.port === 'number') port = entry.port;
      if (typeof entry.metricsPort === 'number') metricsPort = entry.metricsPort;
    }
    return { port, metricsPort };
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
  });
  for (;;) {
    const found = ports();
    if (found.port !== null && (!wantMetrics || found.metricsPort !== null)) {
      return {
        url: `http://127.0.0.1:${found.port}`,
        metricsUrl: found.metricsPort === null ? null : `http://127.0.0.1:${found.metricsPort}`,
        output: () => output,
        printed: (text) => output.includes(text),
        signal: (name) => {
          child.kill(name);
        },
        exited,
        async kill() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      };
    }
    if (exitedEarly || Date.now() > deadline) {
      if (!exitedEarly) child.kill('SIGKILL');
      await exited;
      throw new Error(`the bridge did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The variables that point a bridge at `sandbox` in account mode (the production clients), Davis Assistant included. */
export function sandboxAccountEnv(sandbox: SandboxHandle): Record<string, string> {
  return {
    DT_ACCOUNT_UUID: sandbox.accountUuid,
    DT_CLIENT_ID: sandbox.clientId,
    DT_CLIENT_SECRET: sandbox.clientSecret,
    DT_API_URL: sandbox.url,
    DT_TOKEN_URL: sandbox.tokenUrl,
    DAVIS_ASSISTANT_URL: sandbox.url,
    DAVIS_ASSISTANT_TOKEN: sandbox.davisToken,
  };
}
