// A pino destination that keeps every log line a test's bridge writes, for assertions on the log.
import { Writable } from 'node:stream';

export function captureLogLines(): { readonly lines: string[]; readonly destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  return { lines, destination };
}
