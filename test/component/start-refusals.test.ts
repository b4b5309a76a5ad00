// The real bridge process refuses a configuration it cannot run with at once, with exit status 2 and
// a message naming the setting (never its secret): a DATA_DIR it cannot write to, a DATABASE_URL that
// is no URL — which would otherwise be retried as a server not reachable yet.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, removeDataDir } from '../helpers/bridge-process.js';
import { buildBridge, runUntilExit, type BuiltBridge } from '../helpers/spawned-bridge.js';

const TOKEN = 'refusal-test-token-0123456789';
const PASSWORD = 's3cret-database-password';

let built: BuiltBridge;
let dataDir: string;
beforeAll(() => {
  built = buildBridge();
  dataDir = makeDataDir();
});
afterAll(() => {
  built.remove();
  removeDataDir(dataDir);
});

describe('a start refused for its configuration', () => {
  it('when DATA_DIR is a file, or lies under one, then the bridge exits 2 naming DATA_DIR', async () => {
    const file = path.join(dataDir, 'not-a-directory');
    writeFileSync(file, 'x');
    for (const dir of [file, path.join(file, 'data')]) {
      const { code, output } = await runUntilExit(built.entry, { DATA_DIR: dir, SCIM_TOKENS: TOKEN });
      expect(code, output).toBe(2);
      expect(output).toContain('DATA_DIR');
      expect(output).toContain('is not a directory');
    }
  });

  it('when DATABASE_URL is no URL (a port that is not a number, a broken percent-encoding), then the bridge exits 2 at once without repeating it', async () => {
    for (const url of [`postgres://bridge:${PASSWORD}@127.0.0.1:notaport/db`, `postgresql://bridge:${PASSWORD}%zz@127.0.0.1:5432/db`]) {
      const started = Date.now();
      const { code, output } = await runUntilExit(built.entry, { DATA_DIR: dataDir, SCIM_TOKENS: TOKEN, DATABASE_URL: url, DATABASE_START_TIMEOUT_MS: '60000' });
      expect(code, output).toBe(2);
      expect(output).toMatch(/DATABASE_URL (is not a valid URL|holds a malformed percent-encoding)/);
      expect(output).not.toContain(PASSWORD);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });
});
