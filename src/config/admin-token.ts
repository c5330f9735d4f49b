/**
 * The owner's admin token for the web dashboard, the admin API and the CLI talking to a running
 * assistant. `ADMIN_TOKEN` wins when set; otherwise one is generated on first start and kept in
 * `DATA_DIR/admin-token`, readable by the owner's account only (mode 0600).
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** File name of the generated token inside `DATA_DIR`. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Where the generated token lives. */
export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_TOKEN_FILE);
}

/** The token and whether it was generated just now (then it is printed once, with the dashboard URL). */
export interface AdminToken {
  readonly token: string;
  readonly source: 'environment' | 'file' | 'generated';
}

/**
 * Returns `configured` when set, else the stored token, else generates and stores a new one.
 * `wx` makes two processes racing on first start agree on one token (the loser reads the winner's).
 */
export async function loadOrCreateAdminToken(dataDir: string, configured: string | undefined): Promise<AdminToken> {
  if (configured) return { token: configured, source: 'environment' };
  const file = adminTokenPath(dataDir);
  const stored = await readStoredToken(file);
  if (stored) return { token: stored, source: 'file' };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, source: 'generated' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readStoredToken(file);
    if (!winner) throw error;
    return { token: winner, source: 'file' };
  }
}

/** The stored token, or undefined when there is none (yet). */
export async function readStoredToken(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Constant-time comparison of a presented token with the real one (hashing equalizes lengths). */
export function tokensMatch(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
