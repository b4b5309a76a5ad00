// Reads a V8 .cpuprofile and tells where the time goes: self time by category (our src/, each npm
// package, Node internals, GC) and the top functions by self and by inclusive time.
// CLI: node dist/bench/profile-summary.js <file.cpuprofile>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Busy time sampled (idle excluded); shares are of this. */
  readonly totalMs: number;
  readonly idleMs: number;
  readonly byCategory: ReadonlyArray<{ readonly name: string; readonly selfMs: number; readonly share: number }>;
  readonly topSelf: ReadonlyArray<{ readonly name: string; readonly selfMs: number; readonly share: number }>;
  readonly topInclusive: ReadonlyArray<{ readonly name: string; readonly totalMs: number; readonly share: number }>;
}

function category(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return `npm:${packageMatch[1]}`;
  const ours = /\/dist\/((?:src|bench)\/.*)$/.exec(url);
  if (ours) return (ours[1] as string).replace(/\.js$/, '.ts');
  if (url.startsWith('node:')) return 'node-internals';
  return url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${category(url, functionName)}${url === '' ? '' : `:${lineNumber + 1}`}`;
}

export function summariseProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const categories = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id);
    if (!leaf) return;
    if (leaf.callFrame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    totalUs += delta;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + delta);
    const cat = category(leaf.callFrame.url, leaf.callFrame.functionName);
    categories.set(cat, (categories.get(cat) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node) break;
      const key = label(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
  });
  const share = (us: number) => (totalUs === 0 ? 0 : us / totalUs);
  const rank = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byCategory: rank(categories).slice(0, top).map(([name, us]) => ({ name, selfMs: us / 1000, share: share(us) })),
    topSelf: rank(self).slice(0, top).map(([name, us]) => ({ name, selfMs: us / 1000, share: share(us) })),
    topInclusive: rank(inclusive)
      .filter(([name]) => !name.startsWith('(root)') && !name.startsWith('(program)'))
      .slice(0, top)
      .map(([name, us]) => ({ name, totalMs: us / 1000, share: share(us) })),
  };
}

export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [`── CPU profile: ${title} (${summary.totalMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle)`, '  self time by category:'];
  for (const c of summary.byCategory) lines.push(`    ${pct(c.share)}  ${c.name}`);
  lines.push('  top functions by self time:');
  for (const f of summary.topSelf) lines.push(`    ${pct(f.share)}  ${f.name}`);
  lines.push('  top functions by inclusive time:');
  for (const f of summary.topInclusive) lines.push(`    ${pct(f.share)}  ${f.name}`);
  return lines.join('\n');
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
    process.exitCode = 2;
  } else {
    console.log(formatProfileSummary(file, summariseProfile(file, Number(process.argv[3] ?? 20))));
  }
}
