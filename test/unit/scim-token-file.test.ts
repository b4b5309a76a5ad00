// The generated SCIM token of the embedded mode: created once, mode 0600, reused after restarts.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateScimToken } from '../../src/scim-token-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadOrCreateScimToken', () => {
  it('when no token file exists, then one is created with mode 0600 and reused on the next start', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scim-token-'));
    dirs.push(dir);
    const dataDir = path.join(dir, 'data');
    const first = loadOrCreateScimToken(dataDir);
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(40);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateScimToken(dataDir);
    expect(second).toEqual({ token: first.token, file: first.file, created: false });
  });
});
