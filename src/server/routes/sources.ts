/**
 * The sources API at /api/sources: list sources with their sync state (`sourceReads`), add one,
 * remove one (its articles stay) and sync one now (`sourceWrites`, mounted behind the writer
 * guard like the article writes).
 */
import { Router } from 'express';
import { AppError } from '../../errors.js';
import type { SourceEntry } from '../../sources/registry.js';
import type { Sources } from '../../sources/service.js';
import { redactText, redactUrl } from '../../sources/redact.js';
import { untimed } from '../middleware/timeLimit.js';

/** A source as the API and the page show it: its url and messages without the secrets they may carry. */
export function describeSource(s: SourceEntry, running: boolean) {
  const st = s.record.state;
  return {
    id: s.def.id,
    name: s.def.name ?? null,
    url: redactUrl(s.def.url),
    kind: s.def.kind,
    interval: s.def.interval,
    filters: s.def.filters ?? null,
    origin: s.origin,
    running,
    lastAttempt: st.lastAttempt ?? null,
    lastSuccess: st.lastSuccess ?? null,
    lastError: st.lastError ? redactText(st.lastError) : null,
    failures: st.failures,
    nextDue: st.nextDue ?? null,
    added: st.added,
    lastAdded: st.lastAdded,
    seen: Object.keys(st.seen).length,
  };
}

/** GET /, for mounting at /api/sources behind the reader guard; without sources, `enabled: false`. */
export function sourceReads(deps: { sources?: Sources }) {
  const router = Router();
  router.get('/', async (_req, res) => {
    const s = deps.sources;
    // Without sources the page still asks; a 404 would show as an error in the browser console.
    if (!s) return void res.json({ enabled: false, sources: [] });
    await s.registry.refresh();
    res.json({ enabled: true, sources: s.registry.list().map((e) => describeSource(e, s.syncer.isRunning(e.def.id))) });
  });
  return router;
}

/** POST /, DELETE /:id and POST /:id/sync, for mounting at /api/sources behind the writer guard. */
export function sourceWrites(deps: { sources: Sources }) {
  const { registry, syncer } = deps.sources;
  const router = Router();
  const one = (id: string) => {
    const s = registry.get(id);
    if (!s) throw new AppError('not_found', `sources: no source with id "${id}"`);
    return s;
  };

  router.post('/', async (req, res) => {
    if (!req.is('application/json') || !req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new AppError('bad_request', 'sources: send a JSON object {url, kind?, interval?, name?, filters?} with Content-Type: application/json');
    }
    const { entry, created } = await registry.add(req.body);
    res.status(created ? 201 : 200).json({ source: describeSource(entry, syncer.isRunning(entry.def.id)) });
  });

  router.delete('/:id', async (req, res) => {
    const id = String(req.params.id);
    await registry.remove(id);
    res.json({ id, status: 'removed' });
  });

  // A sync fetches and embeds a whole feed: like an upload, it may take minutes.
  router.post('/:id/sync', untimed, async (req, res) => {
    const id = String(req.params.id);
    await registry.refresh();
    one(id);
    const report = await syncer.sync(id);
    const after = registry.get(id);
    res.json({
      report: { ...report, ...(report.error ? { error: redactText(report.error) } : {}), ms: Math.round(report.ms) },
      source: after ? describeSource(after, false) : null,
    });
  });

  return router;
}
