/**
 * createApp wires routes and middleware into an express app. Nothing listens here: main.ts
 * does, and tests bind it to a free port.
 */
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import type { Archive } from '../archive.js';
import { defaultConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createQueue, type Queue } from '../queue.js';
import { errorHandler, notFound } from './errors.js';
import { cors } from './middleware/cors.js';
import { allowedHosts, hostCheck } from './middleware/hostCheck.js';
import { rateLimiter } from './middleware/rateLimit.js';
import { requireReader } from './middleware/auth.js';
import { requestLog } from './middleware/requestLog.js';
import { timeLimit } from './middleware/timeLimit.js';
import { keepingArchive } from '../answers/keep.js';
import { answerPageRoutes, answerReadRoutes, answerWriteRoutes } from './routes/answers.js';
import { articleRoutes } from './routes/articles.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';
import { sourceRoutes } from './routes/sources.js';
import type { Sources } from '../sources/service.js';
import { mcpRoutes } from './routes/mcp.js';
import { openaiRoutes } from './routes/openai.js';
import { streamRoutes } from './routes/stream.js';

export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

export interface AppDeps {
  archive: Archive;
  config: Pick<Config, 'bodyLimit' | 'maxQuestionChars' | 'maxHistoryTurns' | 'host' | 'adminToken' | 'maxUploadBytes'> &
    Partial<Pick<Config, 'apiToken' | 'topK'>> &
    Partial<Pick<Config, HardeningSettings>>;
  /** The one logger (requests, errors); by default `createLogger(config.logLevel)`. */
  logger?: Logger;
  /** The queue chat work goes through; by default one sized by queueConcurrency/queueLimit. */
  queue?: Queue;
  /** Feed and sitemap sources (/api/sources); left out, the list says `enabled: false` and writes answer 404. */
  sources?: Sources;
  /** True once shutdown has begun: readiness turns 503. */
  isDraining?: () => boolean;
}

type HardeningSettings =
  | 'requestTimeoutMs' | 'rateLimitPerMinute' | 'rateLimitWindowMs' | 'trustProxy' | 'queueConcurrency' | 'queueLimit'
  | 'corsOrigins' | 'logLevel' | 'logQuestions' | 'allowedHosts'
  | 'keepAnswers' | 'answerRetentionDays' | 'answerRetentionCount' | 'llmModel';

/**
 * The archive the routes see: `ask` (query embedding, search, evidence) goes through the bounded
 * queue, so /api/chat and /api/chat/stream share one line and one limit. Wrapped here, once.
 */
export function queuedArchive(archive: Archive, queue: Queue): Archive {
  return { ...archive, ask: (input) => queue.run(() => archive.ask(input), input.signal) };
}

export function createApp(deps: AppDeps) {
  // Settings a caller left out take their defaults from the one place defaults live.
  const config = { ...defaultConfig(), ...deps.config };
  const logger = deps.logger ?? createLogger(config.logLevel);
  const queue = deps.queue ?? createQueue({ concurrency: config.queueConcurrency, limit: config.queueLimit });
  // Every transport below asks through one layer that keeps the answer and gives it an id.
  const archive = keepingArchive(queuedArchive(deps.archive, queue), config, logger);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog({ logger, logQuestions: config.logQuestions }));
  const hosts = allowedHosts(config);
  app.use(hostCheck(hosts));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
    }),
  );
  app.use(cors(config.corsOrigins));
  app.use(rateLimiter({ limit: config.rateLimitPerMinute, windowMs: config.rateLimitWindowMs }));
  // Article uploads are bounded by MAX_UPLOAD_BYTES instead: embedding a long one may take minutes.
  app.use(requireReader(config));
  // A sync on request fetches and embeds a whole feed: like an upload, it may take minutes.
  app.use(timeLimit(config.requestTimeoutMs, (req) => req.method !== 'GET' && (req.path.startsWith('/api/articles') || /^\/api\/sources\/[^/]+\/sync$/.test(req.path))));
  // Before the app-wide JSON parser: article bodies have their own limit (MAX_UPLOAD_BYTES).
  app.use(articleRoutes({ archive, config, hosts }));
  app.use(express.json({ limit: config.bodyLimit }));
  app.use(chatRoutes({ archive, limits: config }));
  app.use(streamRoutes({ archive, limits: config, logger }));
  app.use(answerReadRoutes({ archive }));
  app.use(answerWriteRoutes({ archive, config, hosts }));
  app.use(answerPageRoutes());
  if (deps.sources) app.use(sourceRoutes({ sources: deps.sources, config }));
  // Without sources the page still asks; a 404 would show as an error in the browser console.
  else app.get('/api/sources', (_req, res) => void res.json({ enabled: false, sources: [] }));
  app.use(openaiRoutes({ archive, config }));
  app.use(mcpRoutes({ archive, limits: config, log: (err) => logger.error({ err }, 'mcp tool failed') }));
  app.use(healthRoutes({ archive, queue, isDraining: deps.isDraining }));
  app.use(express.static(WEB_DIR, { dotfiles: 'deny', index: 'index.html', redirect: false }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
