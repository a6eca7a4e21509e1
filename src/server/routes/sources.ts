/**
 * The sources API: list sources with their sync state, add one, remove one (its articles stay),
 * and sync one now. Writes need the same authorisation as article writes.
 */
import { Router } from 'express';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { SourceEntry } from '../../sources/registry.js';
import type { Sources } from '../../sources/service.js';
import { requireWriter } from './articles.js';

/** A source as the API and the page show it. */
export function describeSource(s: SourceEntry, running: boolean) {
  const st = s.record.state;
  return {
    id: s.def.id,
    name: s.def.name ?? null,
    url: s.def.url,
    kind: s.def.kind,
    interval: s.def.interval,
    filters: s.def.filters ?? null,
    origin: s.origin,
    running,
    lastAttempt: st.lastAttempt ?? null,
    lastSuccess: st.lastSuccess ?? null,
    lastError: st.lastError ?? null,
    failures: st.failures,
    nextDue: st.nextDue ?? null,
    added: st.added,
    lastAdded: st.lastAdded,
    seen: Object.keys(st.seen).length,
  };
}

export function sourceRoutes(deps: { sources: Sources; config: Pick<Config, 'host' | 'adminToken' | 'maxUploadBytes'> }) {
  const { registry, syncer } = deps.sources;
  const router = Router();
  const writer = requireWriter(deps.config);
  const one = (id: string) => {
    const s = registry.get(id);
    if (!s) throw new AppError('not_found', `sources: no source with id "${id}"`);
    return s;
  };

  router.get('/api/sources', (_req, res) => {
    res.json({ enabled: true, sources: registry.list().map((s) => describeSource(s, syncer.isRunning(s.def.id))) });
  });

  router.post('/api/sources', writer, async (req, res) => {
    if (!req.is('application/json') || !req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new AppError('bad_request', 'sources: send a JSON object {url, kind?, interval?, name?, filters?} with Content-Type: application/json');
    }
    const { entry, created } = await registry.add(req.body);
    res.status(created ? 201 : 200).json({ source: describeSource(entry, syncer.isRunning(entry.def.id)) });
  });

  router.delete('/api/sources/:id', writer, async (req, res) => {
    const id = String(req.params.id);
    await registry.remove(id);
    res.json({ id, status: 'removed' });
  });

  router.post('/api/sources/:id/sync', writer, async (req, res) => {
    const id = String(req.params.id);
    one(id);
    const report = await syncer.sync(id);
    const after = registry.get(id);
    res.json({ report: { ...report, ms: Math.round(report.ms) }, source: after ? describeSource(after, false) : null });
  });

  return router;
}
