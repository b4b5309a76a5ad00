// pino JSON logger factory. Authorization headers, cookies and anything named like a secret are
// redacted by path, so a careless log call cannot leak a token.
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** Where lines go; stdout (asynchronously) when absent. Tests pass a stream to capture every line. */
  readonly destination?: DestinationStream;
}

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.token',
  '*.tokens',
  '*.password',
  '*.clientSecret',
  '*.client_secret',
  '*.access_token',
];

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'dynatrace-scim-bridge' },
      timestamp: isoTimePerMillisecond(),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Asynchronous writes to stdout: under load, lines queued while a write is in flight go out
    // together instead of one blocking write each. main.ts flushes them on shutdown.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * pino's `isoTime`, formatted once per millisecond: under load many lines share one (an access line
 * per request), and toISOString is a good part of what a line costs.
 */
function isoTimePerMillisecond(): () => string {
  let last = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      text = `,"time":"${new Date(now).toISOString()}"`;
    }
    return text;
  };
}
