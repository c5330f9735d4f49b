/**
 * The one place that reads the environment. Every variable is validated here, all problems are
 * reported together, and the rest of the app receives a typed, frozen {@link Config}.
 */
import path from 'node:path';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const unitInterval = (fallback: number) => z.coerce.number().min(-1).max(1).default(fallback);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const idList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const items = (value ?? '').split(/[\s,]+/).filter((item) => item !== '');
    const bad = items.filter((item) => !/^\d+$/.test(item));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `not numeric Telegram user ids: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return items.map(Number);
  });

/** Plain HTTP only for loopback addresses (tests, a proxy on this machine): Meta fetches reply images from it. */
const publicBaseUrl = z
  .string()
  .optional()
  .refine((value) => value === undefined || isHttpsOrLoopback(new URL(value)), 'must be an https:// address (plain http only for localhost/127.0.0.1/[::1])')
  .transform((value) => value?.replace(/\/+$/, ''));

function isHttpsOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname));
}

/** The settings that turn the Instagram channel on; all or none must be set. */
const INSTAGRAM_REQUIRED = ['INSTAGRAM_ACCESS_TOKEN', 'INSTAGRAM_APP_SECRET', 'INSTAGRAM_VERIFY_TOKEN', 'PUBLIC_BASE_URL'] as const;

/** Environment variables, as strings, before validation. Names match `.env.example`. */
const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optionalText.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  ),
  VECTOR_INDEX: z.enum(['auto', 'hnsw', 'none']).default('auto'),
  LOCK_TIMEOUT_SECONDS: nonNegativeInt(300),

  MODEL_PATH: z.string().min(1).default('./models/resnet50-imagenet.onnx'),
  ML_DEVICE: z.enum(['cpu', 'cuda', 'auto']).default('cpu'),
  ML_THREADS: nonNegativeInt(0),
  ML_BATCH_SIZE: positiveInt(2).pipe(z.number().max(256)),
  PREPROCESS_MODE: z.enum(['center-crop', 'stretch']).default('center-crop'),
  IMAGE_MAX_BYTES: positiveInt(20 * 1024 * 1024),
  IMAGE_MAX_PIXELS: positiveInt(50_000_000),

  SEARCH_TOP_K: positiveInt(5).pipe(z.number().max(50)),
  SEARCH_INDEX: z.enum(['auto', 'memory', 'database']).default('auto'),
  SEARCH_MIN_SCORE: unitInterval(0.3),
  SEARCH_TEXT_MAX_EDITS: nonNegativeInt(2).pipe(z.number().max(3)),
  SHOP_CURRENCY: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code such as USD, EUR, RUB')
    .transform((value) => value.toUpperCase())
    .default('USD'),

  PORT: nonNegativeInt(3000).pipe(z.number().max(65535)),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters (or leave it empty to have one generated)').optional()),
  UNMET_DEMAND_RETENTION_DAYS: nonNegativeInt(30).pipe(z.number().max(3650)),

  TELEGRAM_BOT_TOKEN: optionalText.pipe(
    z.string().regex(/^\d+:[\w-]{20,}$/, 'does not look like a BotFather token (123456:ABC…)').optional(),
  ),
  TELEGRAM_API_ROOT: optionalText.pipe(z.url().optional()),
  TELEGRAM_WEBHOOK_URL: optionalText.pipe(z.url().optional()),
  TELEGRAM_WEBHOOK_SECRET: optionalText.pipe(
    z.string().regex(/^[A-Za-z0-9_-]{8,256}$/, 'must be 8–256 characters of A–Z, a–z, 0–9, _ or -').optional(),
  ),
  TELEGRAM_WEBHOOK_PORT: positiveInt(8443).pipe(z.number().max(65535)),
  TELEGRAM_MESSAGES_PER_SECOND: positiveInt(30).pipe(z.number().max(1000)),
  ADMIN_IDS: idList,
  SEARCH_RATE_LIMIT_PER_MINUTE: positiveInt(10),

  PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()).pipe(publicBaseUrl),
  INSTAGRAM_ACCESS_TOKEN: optionalText.pipe(z.string().regex(/^\S{20,}$/, 'does not look like an Instagram access token (20+ characters, no spaces)').optional()),
  INSTAGRAM_APP_SECRET: optionalText.pipe(z.string().regex(/^[0-9a-f]{16,}$/i, 'must be the app secret from App settings > Basic (hex digits)').optional()),
  INSTAGRAM_VERIFY_TOKEN: optionalText.pipe(z.string().min(8, 'must be at least 8 characters (any string you also enter in the Meta app dashboard)').optional()),
  INSTAGRAM_ACCOUNT_ID: optionalText.pipe(z.string().regex(/^(me|\d+)$/, 'must be the numeric Instagram professional account id, or "me"').optional()),
  INSTAGRAM_API_ROOT: z.url().default('https://graph.instagram.com').transform((url) => url.replace(/\/+$/, '')),
  INSTAGRAM_API_VERSION: z.string().trim().regex(/^v\d+\.\d+$/, 'must look like v25.0').default('v25.0'),

  RETRAIN_CRON: z.string().min(1).default('*/30 * * * *'),
  RETRAIN_ENABLED: booleanFlag.default(true),
  TRAIN_MIN_IMAGES_PER_CATEGORY: positiveInt(5),
  PROMOTION_TOLERANCE: z.coerce.number().min(0).max(100).default(1),
  CATEGORY_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  CATEGORY_RANK_MARGIN: z.coerce.number().min(0).max(2).default(0.05),

  SHUTDOWN_TIMEOUT_SECONDS: positiveInt(10).pipe(z.number().max(600)),
  BACKUP_ENABLED: booleanFlag.default(true),
  BACKUP_CRON: z.string().min(1).default('30 3 * * *'),
  BACKUP_KEEP: positiveInt(7).pipe(z.number().max(1000)),
  BACKUP_DIR: optionalText,
});

type Environment = z.infer<typeof environmentSchema>;

/** Validated application settings. Paths are absolute. */
export interface Config {
  readonly env: Environment['NODE_ENV'];
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly dataDir: string;
  readonly database: {
    /** `undefined` selects the embedded PGlite database under {@link Config.dataDir}. */
    readonly url: string | undefined;
    readonly vectorIndex: Environment['VECTOR_INDEX'];
    /** How long a command waits for another process to release the embedded database, in seconds. */
    readonly lockTimeoutSeconds: number;
  };
  readonly model: {
    readonly path: string;
    readonly device: Environment['ML_DEVICE'];
    /** ONNX Runtime intra-op threads; 0 lets the runtime use every core. */
    readonly threads: number;
    readonly batchSize: number;
    readonly preprocessMode: Environment['PREPROCESS_MODE'];
  };
  readonly images: {
    /** Largest accepted upload, in bytes. */
    readonly maxBytes: number;
    /** Largest accepted decoded size, in pixels (width × height), against decompression bombs. */
    readonly maxPixels: number;
  };
  readonly search: {
    readonly topK: number;
    /** `memory`: in-memory index in a worker thread; `database`: SQL only; `auto`: memory on embedded PGlite. */
    readonly index: Environment['SEARCH_INDEX'];
    /** Cosine similarity under which the best result counts as "no match". */
    readonly minScore: number;
    readonly rateLimitPerMinute: number;
    /** Typos tolerated per word in text searches (0 disables correction). */
    readonly textMaxEdits: number;
  };
  readonly web: {
    /** TCP port of the web chat, dashboard and API; 0 picks a free one (tests). */
    readonly port: number;
    /** Listen address; 127.0.0.1 by default, so only a reverse proxy on this machine reaches it. */
    readonly host: string;
    /** Owner token for /admin and /api/admin; undefined = generated into DATA_DIR (see config/admin-token.ts). */
    readonly adminToken: string | undefined;
  };
  readonly unmetDemand: {
    /** Days thumbnails of unmatched customer photos are kept; 0 records none. */
    readonly retentionDays: number;
  };
  readonly shop: {
    /** ISO 4217 currency for chat-added products whose price names none. */
    readonly currency: string;
  };
  readonly telegram: {
    readonly token: string | undefined;
    readonly apiRoot: string | undefined;
    readonly webhookUrl: string | undefined;
    readonly webhookSecret: string | undefined;
    readonly webhookPort: number;
    /**
     * Messages the bot sends per second across all chats (Telegram's broadcast limit: 30, or up to
     * 1,000 with paid broadcasts). One photo answer is two messages: the album and its buttons.
     */
    readonly messagesPerSecond: number;
    readonly adminIds: readonly number[];
  };
  /** The shop's public HTTPS address (reverse proxy or tunnel), without a trailing slash. */
  readonly publicBaseUrl: string | undefined;
  /** Set when the Instagram channel is configured (token, app secret, verify token and public URL). */
  readonly instagram: InstagramConfig | undefined;
  readonly training: {
    readonly cron: string;
    readonly enabled: boolean;
    readonly minImagesPerCategory: number;
    /** Accuracy points a new head may lose against the active one and still be promoted. */
    readonly promotionTolerance: number;
    /** Classifier confidence (0–1) above which search favours the predicted category. */
    readonly categoryConfidenceThreshold: number;
    /** Cosine-similarity lead (0–2) that keeps an off-category product ahead of the predicted category. */
    readonly categoryRankMargin: number;
  };
  /** Longest a SIGINT/SIGTERM shutdown may take, in milliseconds; the process exits by then even if something hangs. */
  readonly shutdownTimeoutMs: number;
  readonly backup: {
    /** Daily automatic backups of the embedded database and photos while the assistant runs. */
    readonly enabled: boolean;
    readonly cron: string;
    /** Automatic backups kept; older ones are deleted. */
    readonly keep: number;
    /** Absolute directory of automatic backups (default `DATA_DIR/backups`). */
    readonly dir: string;
  };
}

export interface InstagramConfig {
  /** Long-lived Instagram user access token (Instagram API with Instagram Login) or a Page token. */
  readonly accessToken: string;
  /** Signs webhook deliveries (`X-Hub-Signature-256`). */
  readonly appSecret: string;
  /** Echoed back during the webhook verification handshake. */
  readonly verifyToken: string;
  /** Instagram professional account id, or `me`. */
  readonly accountId: string;
  /** `https://graph.instagram.com` (Instagram Login) or `https://graph.facebook.com` (Facebook Login); no trailing slash. */
  readonly apiRoot: string;
  /** Graph API version, e.g. `v25.0`. */
  readonly apiVersion: string;
  /** Where Meta fetches product photos and posts the webhook. */
  readonly publicBaseUrl: string;
}

/** Thrown when the environment is invalid; `problems` lists every bad variable, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates `env` (default `process.env`) and returns the settings. Empty strings count as unset.
 * @throws {ConfigError} listing every invalid variable at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const values = withoutEmptyValues(env);
  const parsed = environmentSchema.safeParse(values);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...partialInstagramProblems(values),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(toConfig(parsed.data, cwd));
}

/** The Instagram channel needs all of {@link INSTAGRAM_REQUIRED}; some but not all is a mistake worth stopping for. */
function partialInstagramProblems(values: Record<string, string>): string[] {
  const present = INSTAGRAM_REQUIRED.filter((name) => name !== 'PUBLIC_BASE_URL' && values[name] !== undefined);
  if (present.length === 0) return [];
  const missing = INSTAGRAM_REQUIRED.filter((name) => values[name] === undefined);
  if (missing.length === 0) return [];
  return [`${missing.join(', ')}: required for the Instagram channel (${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set); set ${missing.length === 1 ? 'it' : 'them'} or unset all INSTAGRAM_* variables (README "Instagram")`];
}

function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const entries = Object.entries(env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== '',
  );
  return Object.fromEntries(entries);
}

function toConfig(values: Environment, cwd: string): Config {
  return {
    env: values.NODE_ENV,
    logLevel: values.LOG_LEVEL,
    dataDir: path.resolve(cwd, values.DATA_DIR),
    database: { url: values.DATABASE_URL, vectorIndex: values.VECTOR_INDEX, lockTimeoutSeconds: values.LOCK_TIMEOUT_SECONDS },
    model: {
      path: path.resolve(cwd, values.MODEL_PATH),
      device: values.ML_DEVICE,
      threads: values.ML_THREADS,
      batchSize: values.ML_BATCH_SIZE,
      preprocessMode: values.PREPROCESS_MODE,
    },
    images: { maxBytes: values.IMAGE_MAX_BYTES, maxPixels: values.IMAGE_MAX_PIXELS },
    search: {
      topK: values.SEARCH_TOP_K,
      index: values.SEARCH_INDEX,
      minScore: values.SEARCH_MIN_SCORE,
      rateLimitPerMinute: values.SEARCH_RATE_LIMIT_PER_MINUTE,
      textMaxEdits: values.SEARCH_TEXT_MAX_EDITS,
    },
    web: { port: values.PORT, host: values.HOST, adminToken: values.ADMIN_TOKEN },
    unmetDemand: { retentionDays: values.UNMET_DEMAND_RETENTION_DAYS },
    shop: { currency: values.SHOP_CURRENCY },
    telegram: {
      token: values.TELEGRAM_BOT_TOKEN,
      apiRoot: values.TELEGRAM_API_ROOT,
      webhookUrl: values.TELEGRAM_WEBHOOK_URL,
      webhookSecret: values.TELEGRAM_WEBHOOK_SECRET,
      webhookPort: values.TELEGRAM_WEBHOOK_PORT,
      messagesPerSecond: values.TELEGRAM_MESSAGES_PER_SECOND,
      adminIds: values.ADMIN_IDS,
    },
    publicBaseUrl: values.PUBLIC_BASE_URL,
    instagram: instagramConfig(values),
    training: {
      cron: values.RETRAIN_CRON,
      enabled: values.RETRAIN_ENABLED,
      minImagesPerCategory: values.TRAIN_MIN_IMAGES_PER_CATEGORY,
      promotionTolerance: values.PROMOTION_TOLERANCE,
      categoryConfidenceThreshold: values.CATEGORY_CONFIDENCE_THRESHOLD,
      categoryRankMargin: values.CATEGORY_RANK_MARGIN,
    },
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    backup: {
      enabled: values.BACKUP_ENABLED,
      cron: values.BACKUP_CRON,
      keep: values.BACKUP_KEEP,
      dir: path.resolve(cwd, values.BACKUP_DIR ?? path.join(values.DATA_DIR, 'backups')),
    },
  };
}

function instagramConfig(values: Environment): InstagramConfig | undefined {
  const { INSTAGRAM_ACCESS_TOKEN: accessToken, INSTAGRAM_APP_SECRET: appSecret, INSTAGRAM_VERIFY_TOKEN: verifyToken, PUBLIC_BASE_URL: publicBaseUrl } = values;
  if (!accessToken || !appSecret || !verifyToken || !publicBaseUrl) return undefined;
  return {
    accessToken,
    appSecret,
    verifyToken,
    accountId: values.INSTAGRAM_ACCOUNT_ID ?? 'me',
    apiRoot: values.INSTAGRAM_API_ROOT,
    apiVersion: values.INSTAGRAM_API_VERSION,
    publicBaseUrl,
  };
}
