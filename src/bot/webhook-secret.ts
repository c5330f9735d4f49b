/**
 * Webhook mode always has a secret token, so only Telegram can post updates: `TELEGRAM_WEBHOOK_SECRET`
 * when set, otherwise one generated on first use and kept in `DATA_DIR/telegram-webhook-secret`
 * (mode 0600), so it stays the same across restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readStoredToken } from '../config/admin-token.ts';

export const WEBHOOK_SECRET_FILE = 'telegram-webhook-secret';

/** The configured secret, else the stored one, else a new one (stored; two racing starts agree). */
export async function loadOrCreateWebhookSecret(dataDir: string, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, WEBHOOK_SECRET_FILE);
  const stored = await readStoredToken(file);
  if (stored) return stored;
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readStoredToken(file);
    if (!winner) throw error;
    return winner;
  }
}
