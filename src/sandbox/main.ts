// `npm run sandbox`: runs the Dynatrace sandbox alone. The only sandbox file that reads process.env;
// prints its URL, its own fake credentials, how to look into it and a ready-to-paste curl session;
// stops on SIGINT/SIGTERM.
import { parseSandboxEnv, startSandbox } from './index.js';

async function main(): Promise<void> {
  const parsed = parseSandboxEnv(process.env);
  if (!parsed.ok) {
    process.stderr.write(`Invalid sandbox configuration:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    process.exitCode = 2;
    return;
  }
  const sandbox = await startSandbox(parsed.options);
  const f = sandbox.state.faults;
  const lines = [
    `Dynatrace sandbox listening on ${sandbox.url}`,
    '',
    'Point the bridge at it (these are the sandbox\'s own fake credentials):',
    `  DT_API_URL=${sandbox.url}`,
    `  DT_TOKEN_URL=${sandbox.tokenUrl}`,
    `  DT_ACCOUNT_UUID=${sandbox.accountUuid}`,
    `  DT_CLIENT_ID=${sandbox.clientId}`,
    `  DT_CLIENT_SECRET=${sandbox.clientSecret}`,
    `  DAVIS_ASSISTANT_URL=${sandbox.url}`,
    `  DAVIS_ASSISTANT_TOKEN=${sandbox.davisToken}`,
    '',
    `Faults: rate limit ${f.rateLimitPerMinute ?? 'off'}/min, error rate ${f.errorRate}, latency ${f.latencyMs} ms, refused emails ${f.refusedEmails.length}`,
    '',
    'Look into it (no token needed):',
    `  curl -s ${sandbox.url}/sandbox/state        # users, groups, bindings with boundaries and parameters, Davis users`,
    `  curl -s ${sandbox.url}/sandbox/requests     # what was asked: counts per operation and status, the last requests`,
    '',
    'Try it:',
    `  TOKEN=$(curl -s -X POST ${sandbox.tokenUrl} \\`,
    `    -d grant_type=client_credentials -d client_id=${sandbox.clientId} \\`,
    `    -d client_secret=${sandbox.clientSecret} \\`,
    `    --data-urlencode "scope=account-idm-read account-idm-write account-env-read iam-policies-management" \\`,
    `    -d resource=urn:dtaccount:${sandbox.accountUuid} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${sandbox.url}/iam/v1/accounts/${sandbox.accountUuid}/users`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${sandbox.url}/iam/v1/accounts/${sandbox.accountUuid}/groups`,
    '',
    'Ctrl-C stops it.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the sandbox\n`);
    void sandbox.stop().then(() => {
      process.exitCode = 0;
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
