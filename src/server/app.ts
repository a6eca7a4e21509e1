/**
 * createApp wires routes and middleware into an express app. Nothing listens here: main.ts
 * does, and tests bind it to a free port.
 */
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import type { Archive } from '../archive.js';
import type { Config } from '../config.js';
import { errorHandler, notFound } from './errors.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';

export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

export interface AppDeps {
  archive: Archive;
  config: Pick<Config, 'bodyLimit' | 'maxQuestionChars' | 'maxHistoryTurns'>;
  log?: (err: unknown, req: unknown) => void;
}

export function createApp(deps: AppDeps) {
  const { archive, config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
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
  app.use(express.json({ limit: config.bodyLimit }));
  app.use(chatRoutes({ archive, limits: config }));
  app.use(healthRoutes({ archive }));
  app.use(express.static(WEB_DIR, { dotfiles: 'deny', index: 'index.html', redirect: false }));
  app.use(notFound);
  app.use(errorHandler(deps.log ?? ((err) => console.error(err))));
  return app;
}
