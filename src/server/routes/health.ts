/** GET /api/health: is the process up, and what does it hold. */
import { Router } from 'express';
import type { Archive } from '../../archive.js';

export function healthRoutes(deps: { archive: Archive }) {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const { store, embedder } = deps.archive;
    const counts = await store.counts();
    res.json({
      status: 'ok',
      model: { loaded: true, id: embedder.model, dims: embedder.dims },
      index: { loaded: true, store: store.kind, ...counts },
    });
  });
  return router;
}
