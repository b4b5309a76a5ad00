// The operator console at size (`npm run bench:console`): a SQLite store with 100,000 users, 1,000 groups
// of 100 members, their applied state, a queue with failures and an audit log of 300,000 entries; the
// bridge in this process on loopback with the sandbox upstream; a signed-in session; each page fetched
// over HTTP, warmed and then timed, median, p95 and max printed (docs/benchmarks.md records them).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { createSqliteStore } from '../src/adapters/store/index.js';
import { loadConfig } from '../src/config.js';
import { buildDeps, startUpstream } from '../src/deps.js';
import { createAppServer } from '../src/http/app-server.js';
import { loadMappingFile } from '../src/mapping-file.js';
import { createLogger } from '../src/observability/logger.js';
import type { AuditEntry } from '../src/ports/audit-log.js';
import type { Store } from '../src/ports/store.js';
import { consoleSignIn } from '../tools/console-sign-in.js';

const USERS = Number(process.env.BENCH_CONSOLE_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_CONSOLE_GROUPS ?? 1_000);
const MEMBERS = 100;
const AUDIT = USERS * 3;
const RUNS = 30;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
/** The console tests' mapping: the numbered team groups match its pattern rule. */
const MAPPING = readFileSync('test/fixtures/mapping/console.yaml', 'utf8');

async function seed(store: Store): Promise<{ userIds: string[]; groupIds: string[] }> {
  const at = new Date().toISOString();
  const change = { at, requestId: null, syncDueAt: '2999-01-01T00:00:00.000Z' };
  const userIds: string[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const id = randomUUID();
    const userName = `user${String(i).padStart(6, '0')}@example.com`;
    const attributes = {
      userName,
      displayName: `Person ${i} Example`,
      name: { givenName: 'Person', familyName: `Example${i}` },
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    };
    await store.insertUser({ id, attributes, keys: { userName, externalId: null, active: true, emails: [userName] } }, change);
    await store.putAppliedUser({ userId: id, email: userName, uid: null, provenance: 'created', groupUuids: [], davis: null });
    userIds.push(id);
  }
  const groupIds: string[] = [];
  for (let g = 0; g < GROUPS; g += 1) {
    const id = randomUUID();
    const displayName = `team-${g}`;
    const members = userIds.slice((g * MEMBERS) % USERS, ((g * MEMBERS) % USERS) + MEMBERS);
    await store.insertGroup({ id, attributes: { displayName }, keys: { displayName, externalId: null } }, members, change);
    await store.putAppliedGroup({ groupId: id, uuid: randomUUID(), name: `DT team ${g}`, provenance: 'created', bindings: {} });
    groupIds.push(id);
  }
  const entries: AuditEntry[] = [];
  for (let i = 0; i < AUDIT; i += 1) {
    const userId = userIds[i % USERS] as string;
    entries.push({
      at: new Date(Date.parse(at) - (AUDIT - i) * 1000).toISOString(),
      requestId: null,
      resourceType: 'User',
      resourceId: userId,
      operation: i % 3 === 0 ? 'createUser' : 'addUserToGroups',
      target: `user${String(i % USERS).padStart(6, '0')}@example.com`,
      outcome: i % 5000 === 0 ? 'failed' : 'applied',
      detail: null,
    });
    if (entries.length === 10_000) await store.appendAudit(entries.splice(0));
  }
  await store.appendAudit(entries);
  return { userIds, groupIds };
}

async function time(label: string, request: () => Promise<Response>): Promise<{ label: string; median: number; p95: number; max: number }> {
  const times: number[] = [];
  for (let run = 0; run < RUNS + 3; run += 1) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${label} answered ${response.status}`);
    if (run >= 3) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] as number) * 10) / 10;
  return { label, median: at(0.5), p95: at(0.95), max: at(1) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-console-'));
  const mappingFile = path.join(dir, 'mapping.yaml');
  writeFileSync(mappingFile, MAPPING);
  try {
    const config = loadConfig({ DATA_DIR: dir, SCIM_TOKENS: 'bench-scim-token-0123456789', ADMIN_TOKENS: ADMIN_TOKEN, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', MAPPING_FILE: mappingFile });
    const logger = createLogger({ level: 'warn' });
    const store = createSqliteStore({ file: path.join(dir, 'bridge.sqlite') });
    const seeding = performance.now();
    const { userIds, groupIds } = await seed(store);
    process.stderr.write(`seeded ${USERS} users, ${GROUPS} groups, ${AUDIT} audit entries in ${Math.round((performance.now() - seeding) / 1000)} s\n`);
    const upstream = await startUpstream({ config, logger });
    const deps = buildDeps({ config, logger, store, scimTokens: config.scimTokens, upstream, mapping: loadMappingFile(mappingFile), loadMapping: () => loadMappingFile(mappingFile) });
    await deps.admin.reloadMapping();
    const server: Server = createAppServer(createApp(deps)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const url = `http://127.0.0.1:${address.port}`;
    const session = await consoleSignIn(url, ADMIN_TOKEN);
    const get = (route: string) => () => fetch(`${url}${route}`, { headers: { cookie: session.cookie } });
    const person = userIds[USERS / 2] as string;
    const results = [
      await time('overview', get('/console')),
      await time('people (first page)', get('/console/people')),
      await time('people (page 1000)', get('/console/people?page=1000')),
      await time('people search "user05"', get('/console/people?q=user05')),
      await time('people search "person 7"', get('/console/people?q=person%207')),
      await time('person', get(`/console/people/${person}`)),
      await time('groups (page 10)', get('/console/groups?page=10')),
      await time('group (100 members)', get(`/console/groups/${groupIds[GROUPS / 2] as string}`)),
      await time('audit (newest)', get('/console/audit')),
      await time('audit by person', get(`/console/audit?person=user${String(USERS / 2).padStart(6, '0')}%40example.com`)),
      await time('audit outcome=failed', get('/console/audit?outcome=failed')),
      await time('audit by time range', get('/console/audit?from=2020-01-01&to=2099-01-01&operation=createUser')),
      await time('mapping', get('/console/mapping')),
      await time('mapping preview (1,000 groups)', () =>
        fetch(`${url}/console/mapping/preview`, {
          method: 'POST',
          headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: session.csrf, mapping: MAPPING.replaceAll('Pro User', 'Admin User') }).toString(),
        }),
      ),
      await time('GET /admin/users/{id}/access', () => fetch(`${url}/admin/users/${person}/access`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })),
    ];
    process.stdout.write(`| Page | median ms | p95 ms | max ms |\n|---|---|---|---|\n`);
    for (const r of results) process.stdout.write(`| ${r.label} | ${r.median} | ${r.p95} | ${r.max} |\n`);
    server.closeAllConnections();
    server.close();
    await deps.worker.stop();
    await upstream.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:console failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
