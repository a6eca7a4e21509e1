/**
 * createApp wires routes and middleware into an express app. Nothing listens here: main.ts
 * does, and tests bind it to a free port.
 */
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import helmet from 'helmet';
import type { Archive } from '../archive.js';
import { defaultConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createQueue, type Queue } from '../queue.js';
import { errorHandler, notFound, openaiErrors } from './errors.js';
import { cors } from './middleware/cors.js';
import { allowedHosts, hostCheck } from './middleware/hostCheck.js';
import { rateLimiter } from './middleware/rateLimit.js';
import { requireReader, requireWriter } from './middleware/auth.js';
import { requestLog } from './middleware/requestLog.js';
import { timeLimit, untimed } from './middleware/timeLimit.js';
import { keepingArchive } from '../answers/keep.js';
import { answerPage, answerReads, answerWrites, feedbackReads } from './routes/answers.js';
import { articleReads, articleWrites } from './routes/articles.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';
import { sourceReads, sourceWrites } from './routes/sources.js';
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
  | 'requestTimeoutMs'
  | 'rateLimitPerMinute'
  | 'rateLimitWindowMs'
  | 'trustProxy'
  | 'queueConcurrency'
  | 'queueLimit'
  | 'corsOrigins'
  | 'logLevel'
  | 'logQuestions'
  | 'allowedHosts'
  | 'keepAnswers'
  | 'answerRetentionDays'
  | 'answerRetentionCount'
  | 'llmModel';

/**
 * The archive the routes see: `ask` (query embedding, search, evidence) goes through the bounded
 * queue, so /api/chat and /api/chat/stream share one line and one limit. Wrapped here, once.
 */
export function queuedArchive(archive: Archive, queue: Queue): Archive {
  return { ...archive, ask: (input) => queue.run(() => archive.ask(input), input.signal) };
}

/**
 * Everything that hands out archive data or changes it, behind the rate limit, the reader guard
 * (API_TOKEN) and the time limit; writes also behind the writer guard where they are mounted.
 */
function guardedApi(deps: { archive: Archive; config: Config; logger: Logger; hosts: ReturnType<typeof allowedHosts>; sources?: Sources }) {
  const { archive, config, logger, hosts } = deps;
  const api = Router();
  api.use(rateLimiter({ limit: config.rateLimitPerMinute, windowMs: config.rateLimitWindowMs }));
  api.use(requireReader(config));
  api.use(timeLimit(config.requestTimeoutMs));
  api.use('/api/articles', articleReads({ archive }));
  // Before the app-wide JSON parser: article bodies have their own limit (MAX_UPLOAD_BYTES).
  // Untimed: embedding a long upload may take minutes; MAX_UPLOAD_BYTES bounds it instead.
  api.use('/api/articles', requireWriter(config, 'articles', hosts), untimed, articleWrites({ archive, config }));
  api.use(express.json({ limit: config.bodyLimit }));
  api.use(chatRoutes({ archive, limits: config }));
  api.use(streamRoutes({ archive, limits: config, logger }));
  api.use('/api/answers', answerReads({ archive }));
  api.use('/api/answers', requireWriter(config, 'answers', hosts), answerWrites({ archive }));
  api.use('/api/feedback', feedbackReads({ archive }));
  api.use('/api/sources', sourceReads({ sources: deps.sources }));
  // Without sources, writes there answer 404.
  if (deps.sources) api.use('/api/sources', requireWriter(config, 'sources', hosts), sourceWrites({ sources: deps.sources }));
  api.use(openaiRoutes({ archive, config }));
  api.use(mcpRoutes({ archive, limits: config, logger }));
  return api;
}

export function createApp(deps: AppDeps) {
  // Settings a caller left out take their defaults from the one place defaults live.
  const config = { ...defaultConfig(), ...deps.config };
  const logger = deps.logger ?? createLogger(config.logLevel);
  const queue = deps.queue ?? createQueue({ concurrency: config.queueConcurrency, limit: config.queueLimit });
  // Every transport asks through one layer that keeps the answer and gives it an id.
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
  // Open to all: the probes (an orchestrator has no token) and the page (it holds no data).
  app.use(healthRoutes({ archive, queue, isDraining: deps.isDraining }));
  app.use(express.static(WEB_DIR, { dotfiles: 'deny', index: 'index.html', redirect: false }));
  // A kept answer's page: static like the chat page; what it shows it reads through the guarded API.
  app.use('/a', answerPage());
  app.use('/v1', openaiErrors);
  // Everything else is mounted behind the guards, so a route added here cannot be left open.
  app.use(guardedApi({ archive, config, logger, hosts, sources: deps.sources }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
