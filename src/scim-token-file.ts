// Embedded default mode: with no SCIM_TOKENS (or ADMIN_TOKENS, or CONSOLE_SESSION_SECRET) configured, a
// random secret is generated once and kept in a file under DATA_DIR (mode 0600), so restarts keep it and
// the IdP configuration, the operator's token and signed-in console sessions stay valid.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GeneratedToken {
  readonly token: string;
  readonly file: string;
  /** True when this start created it (so it is shown once). */
  readonly created: boolean;
}

/** The secret kept in DATA_DIR/<name>, created (32 random bytes, base64url) when absent or too short. */
export function loadOrCreateSecretFile(dataDir: string, name: string): GeneratedToken {
  const file = path.join(dataDir, name);
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

export function loadOrCreateScimToken(dataDir: string): GeneratedToken {
  return loadOrCreateSecretFile(dataDir, 'scim-token');
}

export function loadOrCreateAdminToken(dataDir: string): GeneratedToken {
  return loadOrCreateSecretFile(dataDir, 'admin-token');
}
