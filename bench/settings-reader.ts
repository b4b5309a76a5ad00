// Reads the benchmarks' BENCH_* knobs: whole numbers within bounds, every problem collected so
// that all of them are reported at once.

export interface IntegerReader {
  (name: string, fallback: number, min: number, max: number): number;
}

/** An integer reader over `env` that records each bad value in `problems` and uses the fallback. */
export function integerReader(env: NodeJS.ProcessEnv, problems: string[]): IntegerReader {
  return (name, fallback, min, max) => {
    const text = env[name]?.trim();
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
      return fallback;
    }
    return value;
  };
}
