// Embedded default mode: with no SCIM_TOKENS configured, a random token is generated once and kept
// in DATA_DIR/scim-token (mode 0600), so restarts keep it and the IdP configuration stays valid.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GeneratedToken {
  readonly token: string;
  readonly file: string;
  /** True when this start created it (so it is shown once). */
  readonly created: boolean;
}

export function loadOrCreateScimToken(dataDir: string): GeneratedToken {
  const file = path.join(dataDir, 'scim-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
