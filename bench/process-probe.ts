// The IPC side of a bench child process: samples its own RSS every 100 ms, answers stats requests
// (peak since the last mark, and over its life), runs CPU profiles on request, and stops cleanly.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Parent → child. */
export type ProbeCommand =
  | { readonly type: 'mark' }
  | { readonly type: 'stats' }
  | { readonly type: 'profile-start' }
  | { readonly type: 'profile-stop'; readonly file: string }
  | { readonly type: 'stop' };

/** Child → parent. */
export type ProbeMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'stats'; readonly stats: ProcessStats }
  | { readonly type: 'profiled'; readonly file: string }
  /** Sent on `stop` before the graceful shutdown starts, so the figures arrive even if it hangs. */
  | { readonly type: 'stopping'; readonly stats: ProcessStats }
  | { readonly type: 'failed'; readonly message: string };

export interface ProcessStats {
  readonly pid: number;
  /** Bytes. */
  readonly rss: number;
  readonly peakRss: number;
  /** Peak RSS since the last `mark`. */
  readonly peakRssSinceMark: number;
  readonly heapUsed: number;
  /** CPU time (user + system) since the process started, in ms. */
  readonly cpuMs: number;
}

const SAMPLE_INTERVAL_MS = 100;

export function startProbe(options: { readonly stop: () => Promise<void> }): { send(message: ProbeMessage): void } {
  if (typeof process.send !== 'function') throw new TypeError('a bench server runs as a child process with an IPC channel');
  let peakRss = process.memoryUsage.rss();
  let peakRssSinceMark = peakRss;
  const sample = (): number => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    if (rss > peakRssSinceMark) peakRssSinceMark = rss;
    return rss;
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  sampler.unref();
  const stats = (): ProcessStats => {
    const rss = sample();
    const cpu = process.cpuUsage();
    return { pid: process.pid, rss, peakRss, peakRssSinceMark, heapUsed: process.memoryUsage().heapUsed, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const send = (message: ProbeMessage): void => {
    process.send?.(message);
  };
  let session: Session | null = null;
  let stopping = false;

  async function handle(command: ProbeCommand): Promise<void> {
    switch (command.type) {
      case 'mark':
        peakRssSinceMark = sample();
        send({ type: 'stats', stats: stats() });
        return;
      case 'stats':
        send({ type: 'stats', stats: stats() });
        return;
      case 'profile-start':
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
        send({ type: 'profiled', file: '' });
        return;
      case 'profile-stop': {
        if (session === null) throw new Error('no profile is running');
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        session = null;
        writeFileSync(command.file, JSON.stringify(profile));
        send({ type: 'profiled', file: command.file });
        return;
      }
      case 'stop':
        await shutdown();
        return;
    }
  }

  async function shutdown(): Promise<void> {
    if (stopping) return;
    stopping = true;
    clearInterval(sampler);
    send({ type: 'stopping', stats: stats() });
    await options.stop();
    process.exit(0);
  }

  process.on('message', (command: ProbeCommand) => {
    handle(command).catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
  });
  process.on('SIGTERM', () => {
    shutdown().catch(() => process.exit(1));
  });
  // The parent went away: nothing left to serve.
  process.on('disconnect', () => {
    if (!stopping) shutdown().catch(() => process.exit(1));
  });
  return { send };
}
