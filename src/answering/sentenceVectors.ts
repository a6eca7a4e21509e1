/**
 * Where the choose stage's sentence vectors come from: the sets made at ingest
 * (ingest/sentences.ts), read from the store for the few articles of the shortlist. A candidate
 * of two joined sentences gets the mean of its sentences' vectors, weighted by how much of the
 * first EMBED_CHARS characters (what the model would read of the joined text) each one fills.
 * Only what no set covers (an index still being filled, a damaged row) is embedded now, and the
 * follow-up's own words, which are part of the question.
 */
import type { Store, SentenceSet } from '../store/types.js';
import { EMBED_CHARS } from '../ingest/sentences.js';
import type { SentenceVectors } from './choose.js';
import type { Candidate } from './evidence.js';

/** The vector of [start, end) from a set, or undefined when its sentences do not cover the span's ends. */
export function spanVector(set: SentenceSet, start: number, end: number): Float32Array | undefined {
  const read = Math.min(end, start + EMBED_CHARS);
  const parts: { v: Float32Array; w: number }[] = [];
  // Spans are in order: find the first sentence at `start`, then take those inside the span.
  let lo = 0;
  let hi = set.spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (set.spans[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  if (set.spans[lo]?.start !== start) return undefined;
  let last = start;
  for (let i = lo; i < set.spans.length && set.spans[i].end <= end; i++) {
    const s = set.spans[i];
    last = s.end;
    if (s.start < read) parts.push({ v: set.vectors[i], w: Math.min(s.end, read) - s.start });
  }
  if (last !== end || !parts.length) return undefined;
  if (parts.length === 1) return parts[0].v;
  const out = new Float32Array(parts[0].v.length);
  for (const { v, w } of parts) for (let d = 0; d < out.length; d++) out[d] += w * v[d];
  let norm = 0;
  for (let d = 0; d < out.length; d++) norm += out[d] * out[d];
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < out.length; d++) out[d] /= norm;
  return out;
}

/**
 * @param fallback embeds what no stored set covers (choose.ts `embeddedSentences`)
 * @example createChoose({ vectors: storedSentences({ store, fallback: embeddedSentences(embedder) }), options })
 */
export function storedSentences(deps: { store: Pick<Store, 'sentenceSets'>; fallback: SentenceVectors }): SentenceVectors {
  return async (cands, extra) => {
    const sets = await deps.store.sentenceSets([...new Set(cands.map((c) => c.article.id))]);
    const found = cands.map((c) => {
      const set = sets.get(c.article.id);
      return set && set.hash === c.article.hash ? spanVector(set, c.start, c.end) : undefined;
    });
    const missing: Candidate[] = cands.filter((_, i) => !found[i]);
    if (!missing.length && !extra.length) return { sentences: found as Float32Array[], extra: [] };
    const more = await deps.fallback(missing, extra);
    let k = 0;
    return { sentences: found.map((v) => v ?? more.sentences[k++]), extra: more.extra };
  };
}
