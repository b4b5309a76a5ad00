// What both benchmarks report: figures against their targets, printed as one table, and the source
// revision the results were measured on.
import { execFileSync } from 'node:child_process';

export interface Target {
  readonly op: '>=' | '<' | '=' | '<=';
  readonly value: number;
}

export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly target: Target | null;
  /** null when there is no target. */
  readonly pass: boolean | null;
}

const MEETS: Record<Target['op'], (value: number, target: number) => boolean> = {
  '>=': (value, target) => value >= target,
  '<': (value, target) => value < target,
  '=': (value, target) => value === target,
  '<=': (value, target) => value <= target,
};

const SYMBOL: Record<Target['op'], string> = { '>=': '≥', '<': '<', '=': '=', '<=': '≤' };

export function figure(key: string, label: string, value: number, unit: string, target: Target | null = null): Figure {
  const pass = target === null ? null : MEETS[target.op](value, target.value);
  return { key, label, value, unit, target, pass };
}

/** Prints figure, measured, target and PASS/FAIL columns; `show` renders a value with its unit. */
export function printTable(figures: readonly Figure[], show: (value: number, unit: string) => string): void {
  const rows = figures.map((f) => [
    f.label,
    show(f.value, f.unit),
    f.target === null ? '' : `${SYMBOL[f.target.op]} ${show(f.target.value, f.unit)}`,
    f.pass === null ? '' : f.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['figure', 'measured', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

/** The commit measured, and how many src/ files differed from it. */
export function sourceRevision(): { commit: string | null; changedSrcFiles: number | null } {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const changed = git('status', '--porcelain', '--', 'src');
    return { commit, changedSrcFiles: changed === '' ? 0 : changed.split('\n').length };
  } catch {
    return { commit: null, changedSrcFiles: null };
  }
}
