// `npm run explain -- <userName or email> [--json]`: why a person has (or lacks) their Dynatrace access —
// each SCIM group, the mapping rule it matched, the Dynatrace group, each policy with its boundaries and
// parameters per level, each marked applied or pending, and the work still queued. Reads the bridge's
// store and mapping (the same configuration) and resolves policy names against the configured account.
import type { UserAccess } from './core/access/access-chain.js';
import { limitsText } from './core/mapping/binding-limits.js';
import { buildDeps, openStore, startUpstream } from './deps.js';
import { createLogger } from './observability/logger.js';
import type { ResourceStore } from './ports/store.js';
import { readSettings } from './settings.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const who = args.filter((arg) => arg !== '--json');
  if (who.length !== 1 || who[0] === '') {
    process.stderr.write('usage: npm run explain -- <userName, email or SCIM id> [--json]\n');
    return 2;
  }
  const settings = readSettings(process.env);
  if (settings === null) return 2;
  const { config, mapping } = settings;
  const logger = createLogger({ level: 'warn' });
  // Beside a running bridge on the same store: its calls (the mapping check) count in the same stored budget window.
  const store = await openStore(config, logger);
  const upstream = await startUpstream({ config, logger, ledger: store });
  const deps = buildDeps({ config, logger, store, scimTokens: ['explain-cli-has-no-http-endpoint'], upstream, mapping });
  try {
    await deps.admin.reloadMapping().catch(() => undefined);
    const ids = await findPerson(store, who[0] as string);
    if (ids.length !== 1) {
      process.stderr.write(ids.length === 0 ? `no SCIM user has the userName, email or id "${who[0] as string}"\n` : `"${who[0] as string}" is the email of ${ids.length} users; give a userName or id: ${ids.join(', ')}\n`);
      return 1;
    }
    const access = await deps.access.forUser(ids[0] as string);
    if (access === null) return 1;
    process.stdout.write(json ? `${JSON.stringify(access, null, 2)}\n` : describeAccess(access));
    return 0;
  } finally {
    await store.close();
    await upstream.close();
  }
}

/** The ids of the users `text` names: by id, else by userName, else by email (indexed lookups). */
async function findPerson(store: ResourceStore, text: string): Promise<string[]> {
  const byId = await store.getUser(text);
  if (byId !== null) return [byId.id];
  const [byName] = await store.findUsers({ where: { kind: 'eq', attribute: 'userName', value: text }, offset: 0, limit: 1 });
  if (byName !== undefined) return [byName.id];
  return (await store.findUsers({ where: { kind: 'eq', attribute: 'emails.value', value: text }, offset: 0, limit: 10 })).map((u) => u.id);
}

/** The chain as indented text, one line per step, each ending in its state. */
function describeAccess(access: UserAccess): string {
  const lines = [
    `${access.user.userName}${access.user.displayName ? ` (${access.user.displayName})` : ''}${access.user.active ? '' : ', deactivated'}  [SCIM id ${access.user.id}]`,
    `Dynatrace account ${access.account.email ?? '(no usable email)'}: ${access.account.present ? 'exists' : 'absent'} — ${access.account.status}`,
  ];
  if (access.groups.length === 0) lines.push('  in no SCIM group: no Dynatrace group or policy reaches them');
  for (const group of access.groups) {
    lines.push(`  SCIM group "${group.scimGroup.displayName}"`);
    if (group.rule === null || group.dynatraceGroup === null) {
      lines.push('    no mapping rule matches and unmatched groups are ignored: no access from it');
      continue;
    }
    lines.push(`    → mapping rule ${group.rule.index === null ? '' : `groups[${group.rule.index}] `}${group.rule.text}`);
    lines.push(`    → Dynatrace group "${group.dynatraceGroup.name}" — ${group.dynatraceGroup.status}; membership — ${group.membership ?? 'not granted'}`);
    for (const level of group.levels) {
      for (const policy of level.policies) {
        const name = [policy.name === null ? null : `"${policy.name}"`, policy.uuid].filter((part) => part !== null).join(' ');
        lines.push(`      → ${level.level}: policy ${name}${limitsText(policy.boundaries, policy.parameters)} — ${policy.status}${policy.problem ? ` (${policy.problem})` : ''}`);
      }
    }
  }
  for (const work of access.pending) {
    const state = work.failedReason !== null ? `failed: ${work.failedReason}` : `queued, due ${work.dueAt}${work.lastError ? `, retrying after: ${work.lastError}` : ''}`;
    lines.push(`  pending: ${work.resourceType} ${work.resourceId} ${state}`);
  }
  return `${lines.join('\n')}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`explain failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
