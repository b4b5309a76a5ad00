// `npm run reconcile [-- --dry-run]`: compares the bridge's store with the configured Dynatrace
// account, prints progress and a report, and repairs drift by queueing work for the bridge's sync
// worker (which applies it). Uses the same configuration, mapping and store as the bridge, and may run
// beside it, even on its SQLite data directory: it takes no lease, and its calls draw from the stored budget.
import { buildDeps, openStore, startUpstream } from './deps.js';
import { createLogger } from './observability/logger.js';
import { readSettings } from './settings.js';

async function main(): Promise<number> {
  const dryRun = process.argv.includes('--dry-run');
  const settings = readSettings(process.env);
  if (settings === null) return 2;
  const { config, mapping } = settings;
  if (config.dynatrace.mode === 'sandbox') {
    process.stderr.write(
      'No Dynatrace credentials configured: the sandbox lives inside the running bridge, so reconcile it there:\n' +
        '  curl -X POST -H "Authorization: Bearer $TOKEN" http://localhost:8080/admin/reconcile\n',
    );
    return 2;
  }
  const logger = createLogger({ level: 'warn' });
  // Beside a running bridge on the same store: its calls count in the same stored budget window.
  const store = await openStore(config, logger);
  const upstream = await startUpstream({ config, logger, ledger: store });
  const deps = buildDeps({ config, logger, store, scimTokens: ['reconcile-cli-has-no-http-endpoint'], upstream, mapping });
  let lastLine = '';
  const started = Date.now();
  try {
    const recorded = await store.getAppliedAccount();
    if (dryRun && recorded !== null && recorded !== upstream.accountIdentity) {
      // Claiming the account would change the store, which a dry run does not do.
      process.stderr.write(`The store describes ${recorded}, not ${upstream.accountIdentity}: start the bridge (or reconcile without --dry-run) to switch it.\n`);
      return 2;
    }
    if (!dryRun) await deps.claimAccount();
    const report = await deps.admin.reconcile({
      dryRun,
      progress: (phase, done, total) => {
        const line = `${phase}: ${done}/${total}`;
        if (line === lastLine) return;
        lastLine = line;
        process.stderr.write(`\r[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\u001b[K`);
      },
    });
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const total = report.findings.length;
    process.stderr.write(
      `${total} finding(s)${report.dryRun ? ' (dry run: nothing repaired)' : total > 0 ? '; repairs queued for the bridge to apply' : ''}\n`,
    );
    return 0;
  } finally {
    await deps.store.close();
    await upstream.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`reconcile failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
