// The processes of the sync-efficiency bench's joiner-mover-leaver flow: the Dynatrace sandbox in its own
// process (dist/src/sandbox/main.js) read over HTTP, and bridges as real processes (dist/src/main.js) that
// the bench can SIGKILL and restart, with their upstream counters read from /metrics. 127.0.0.1 only;
// every wait has a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SandboxRequestRecord } from '../src/sandbox/index.js';

const SANDBOX_ENTRY = fileURLToPath(new URL('../src/sandbox/main.js', import.meta.url));
const BRIDGE_ENTRY = fileURLToPath(new URL('../src/main.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A child whose output goes to `logFile`, with the lines seen so far kept for `waitForLine`. */
function startChild(entry: string, env: Record<string, string>, logFile: string): { child: ChildProcess; waitForLine: (match: RegExp) => Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    if (text.length < 1_000_000) text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.on('exit', () => {
    log.end();
    for (const listener of listeners) listener();
  });
  const waitForLine = (match: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${entry}: no line matching ${match} within ${START_TIMEOUT_MS} ms:\n${text.slice(-2000)}`)), START_TIMEOUT_MS);
      const check = () => {
        const found = match.exec(text);
        if (found !== null) finish(null, found);
        else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`${entry} exited before printing ${match}:\n${text.slice(-2000)}`));
      };
      function finish(error: Error | null, found?: RegExpExecArray): void {
        clearTimeout(timer);
        listeners.delete(check);
        if (error === null && found !== undefined) resolve(found);
        else reject(error);
      }
      listeners.add(check);
      check();
    });
  return { child, waitForLine };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.json();
}

export interface SandboxProcess {
  readonly url: string;
  /** DT_* and DAVIS_ASSISTANT_URL for a bridge in account mode against it (Davis Assistant stays off). */
  readonly bridgeEnv: Record<string, string>;
  /** Every request it logged (its last 10,000), oldest first. */
  requests(): Promise<SandboxRequestRecord[]>;
  /** GET /sandbox/state. */
  state(): Promise<any>;
  stop(): Promise<void>;
}

export async function startSandboxProcess(options: { readonly budgetPerMinute: number; readonly errorRate: number; readonly latencyMs: number; readonly logFile: string }): Promise<SandboxProcess> {
  const { child, waitForLine } = startChild(
    SANDBOX_ENTRY,
    {
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_PORT: '0',
      SANDBOX_RATE_LIMIT_PER_MINUTE: String(options.budgetPerMinute),
      SANDBOX_ERROR_RATE: String(options.errorRate),
      SANDBOX_LATENCY_MS: String(options.latencyMs),
    },
    options.logFile,
  );
  try {
    const url = (await waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    const printed = async (name: string) => (await waitForLine(new RegExp(`${name}=(\\S+)`)))[1] as string;
    const bridgeEnv = {
      DT_API_URL: await printed('DT_API_URL'),
      DT_TOKEN_URL: await printed('DT_TOKEN_URL'),
      DT_ACCOUNT_UUID: await printed('DT_ACCOUNT_UUID'),
      DT_CLIENT_ID: await printed('DT_CLIENT_ID'),
      DT_CLIENT_SECRET: await printed('DT_CLIENT_SECRET'),
      DAVIS_ASSISTANT_URL: url,
    };
    return {
      url,
      bridgeEnv,
      async requests() {
        const body = await getJson(`${url}/sandbox/requests?last=10000`);
        return (body.last as Array<SandboxRequestRecord & { at: string }>).map((r) => ({ ...r, at: Date.parse(r.at) }));
      },
      state: () => getJson(`${url}/sandbox/state`),
      async stop() {
        await stopChild(child, 'SIGTERM');
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export interface BridgeProcess {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Date.now() when it was spawned. */
  readonly spawnedAt: number;
  /** The sum of a counter's samples on /metrics whose labels include `labels`. */
  counter(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** SIGKILL: dies as a crashed process does. */
  kill(): Promise<void>;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

export async function spawnBridgeProcess(name: string, env: Record<string, string>, logFile: string): Promise<BridgeProcess> {
  const spawnedAt = Date.now();
  const { child, waitForLine } = startChild(BRIDGE_ENTRY, { HOST: '127.0.0.1', PORT: '0', ...env }, logFile);
  try {
    const port = (await waitForLine(/"port":(\d+)/))[1] as string;
    const url = `http://127.0.0.1:${port}`;
    return {
      name,
      pid: child.pid ?? -1,
      url,
      spawnedAt,
      async counter(metric, labels = {}) {
        const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
        let sum = 0;
        for (const line of (await response.text()).split('\n')) {
          const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
          if (match === null || match[1] !== metric) continue;
          const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
          if (Object.entries(labels).every(([k, v]) => present[k] === v)) sum += Number(match[3]);
        }
        return sum;
      },
      async kill() {
        await stopChild(child, 'SIGKILL');
      },
      stop: () => stopChild(child, 'SIGTERM'),
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
