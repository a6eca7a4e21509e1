/**
 * GET /api/health: liveness: the process answers, and what it holds (model, index, queue).
 * GET /api/ready: readiness: 200 once the model and index are loaded and usable, 503 while
 * starting (see server/booting.ts), shutting down, or while the store is damaged (its log's pages
 * fail to read or write: the reason is in the 503, `npm run check` says more), so a load
 * balancer sends no traffic then.
 */
import { Router } from 'express';
import type { Archive } from '../../archive.js';
import { AppError } from '../../errors.js';
import type { Queue } from '../../queue.js';

export function healthRoutes(deps: { archive: Archive; queue?: Queue; isDraining?: () => boolean }) {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const about = deps.archive.about();
    // Liveness answers even when the store cannot be read; what is wrong is in `store`.
    const counts = await deps.archive.counts().catch(() => ({}));
    const store = deps.archive.storeHealth();
    res.json({
      status: deps.isDraining?.() ? 'stopping' : 'ok',
      model: { loaded: true, id: about.model, dims: about.dims },
      index: { loaded: true, store: about.store, ...counts },
      store: { status: store.status, problem: store.problem ?? null },
      generator: deps.archive.generatorStatus(),
      ...(deps.queue ? { queue: deps.queue.stats() } : {}),
    });
  });
  router.get('/api/ready', async (_req, res) => {
    if (deps.isDraining?.()) throw new AppError('unavailable', 'ready: the server is shutting down');
    const about = deps.archive.about();
    const store = deps.archive.storeHealth();
    if (store.status === 'damaged') throw new AppError('store_unavailable', `ready: the store is damaged: ${store.problem}`);
    let counts;
    try {
      counts = await deps.archive.counts();
    } catch (e) {
      throw new AppError('store_unavailable', `ready: the index cannot be read: ${(e as Error).message}`, { cause: e });
    }
    res.json({ ready: true, model: { loaded: true, id: about.model }, index: { loaded: true, store: about.store, ...counts } });
  });
  return router;
}
