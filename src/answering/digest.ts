/**
 * The "digest" stage: a question about a period rather than a fact ("What happened last
 * week?", "What's new on the strike?", "Any news about the port?") is answered with the top
 * stories of that window, newest first, each with its article's lead sentence quoted verbatim.
 * Other questions pass through untouched; when the window holds no story the question goes on
 * down the usual path.
 */
import type { Article } from '../corpus/article.js';
import { chunkId } from '../ingest/chunk.js';
import type { SearchFilter, Store } from '../store/types.js';
import { sentences, terms } from '../text.js';
import { citation, type Answer, type Quote } from './answer.js';
import { storyOf } from './copies.js';
import type { Question, Stage } from './question.js';
import type { Passage, Retriever } from './retrieve.js';
import { longDate } from './time.js';

/** Stories in a digest. */
export const DIGEST_STORIES = 5;
/** Days a digest covers when the question names no period ("What's new on the strike?"). */
export const DIGEST_DAYS = 7;
/** Passages searched for a topic within the window. */
const TOPIC_PASSAGES = 30;
/** Share of the topic's terms an article must hold to be a story about it. */
const TOPIC_COVERAGE = 0.5;

// "what happened", "what's new", "the latest", "any news", "top stories", "headlines", "a recap":
// the words that ask for a period's news. Only the first group ("happened") needs the question
// to name the period; the others mean "lately" by themselves.
const PERIOD =
  /^(?:so\s+|and\s+)?(?:(what(?:'s|’s|\s+is|\s+has|\s+was)?\s+(?:been\s+)?happened)|(?:what(?:'s|’s|\s+is|\s+has)?\s+(?:been\s+)?(?:happening|going\s+on|new|the\s+latest|the\s+news|in\s+the\s+news))|(?:(?:is\s+there\s+)?any\s+(?:news|updates?))|(?:what\s+(?:are|were)\s+the\s+(?:top\s+|main\s+|big\s+|biggest\s+|latest\s+)?(?:news|stories|headlines))|(?:(?:give\s+me\s+|show\s+me\s+|tell\s+me\s+)?(?:a\s+|the\s+)?(?:news\s+|top\s+)?(?:digest|summary|roundup|round-up|rundown|recap|briefing|headlines|top\s+stories|news))|(?:catch\s+me\s+up))\b\s*(.*)$/i;
const TOPIC_LEAD = /^(?:on|with|about|in|at|regarding|around|for|from|of|to|over)\s+/i;

/** What a period question asks about: its topic ('' for all news) and whether it needs a named period. */
export interface PeriodAsk {
  topic: string;
  /** "What happened?" names no period by itself: without time words it is a question of fact. */
  needsPeriod: boolean;
}

/**
 * The period question in `focus` (the question without its time words), or undefined.
 * @example periodQuestion("What's new on the strike?") // { topic: 'the strike', needsPeriod: false }
 * @example periodQuestion('What happened?') // { topic: '', needsPeriod: true }
 */
export function periodQuestion(focus: string): PeriodAsk | undefined {
  const m = PERIOD.exec(focus.trim().replace(/[?.!\s]+$/, ''));
  if (!m) return undefined;
  // The topic follows a preposition ("the latest on the strike"); a noun right after the words
  // makes them an adjective ("the latest Oreo flavour"), a question of fact.
  if (m[2] && !TOPIC_LEAD.test(m[2])) return undefined;
  const topic = m[2].replace(TOPIC_LEAD, '').trim();
  // "What happened to the ship's crew and why" is a question about a story, not a period's news.
  if (/\b(why|how|who|which|when|where)\b/i.test(topic)) return undefined;
  return { topic, needsPeriod: !!m[1] };
}

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The lead: the article's first sentence outside page furniture that reads as one (four words or more). */
export function leadSentence(a: Article): { start: number; end: number } | undefined {
  const furniture = a.boilerplate ?? [];
  return sentences(a.text).find(
    (s) =>
      !furniture.some(([b, e]) => s.start < e && b < s.end) &&
      a.text.slice(s.start, s.end).split(/\s+/).length >= 4 &&
      a.text.slice(s.start, s.end) !== a.title,
  );
}

/** The window's articles, newest first (the store lists newest first, so the walk stops at `since`). */
async function articlesIn(store: Pick<Store, 'listArticles'>, filter: SearchFilter): Promise<Omit<Article, 'text'>[]> {
  const out: Omit<Article, 'text'>[] = [];
  for (let offset = 0; ; offset += 500) {
    const { items } = await store.listArticles({ offset, limit: 500 });
    for (const a of items) {
      if (!a.date) continue;
      const d = a.date.slice(0, 10);
      if ((!filter.until || d <= filter.until) && (!filter.since || d >= filter.since)) out.push(a);
    }
    const last = items.at(-1)?.date?.slice(0, 10);
    if (items.length < 500 || (filter.since && last && last < filter.since)) return out;
  }
}

/** Up to DIGEST_STORIES stories, one article each (the best, or with no topic the most reported), as ids in ranked order. */
function topStories(ranked: Pick<Article, 'id' | 'cluster' | 'date'>[]): string[] {
  const stories = new Map<string, { id: string; size: number; rank: number }>();
  ranked.forEach((a, rank) => {
    const s = stories.get(storyOf(a));
    if (s) s.size++;
    else stories.set(storyOf(a), { id: a.id, size: 1, rank });
  });
  return [...stories.values()]
    .sort((a, b) => b.size - a.size || a.rank - b.rank)
    .slice(0, DIGEST_STORIES)
    .map((s) => s.id);
}

/** The digest answer and the passages it cites, or undefined when the window holds no story. */
async function digest(
  deps: { store: Pick<Store, 'listArticles' | 'getArticle' | 'getChunks'>; retriever: Retriever },
  q: Question,
  ask: PeriodAsk,
  filter: SearchFilter,
): Promise<{ answer: Answer; passages: Passage[] } | undefined> {
  let ids: string[];
  let passages: Passage[] = [];
  if (ask.topic) {
    const want = new Set(terms(ask.topic));
    const { passages: found } = await deps.retriever.retrieve(ask.topic, { filter, topK: TOPIC_PASSAGES, mode: q.mode });
    const about = found.filter((p) => {
      const have = new Set(terms(`${p.article.title}\n${p.article.text}`));
      return [...want].filter((t) => have.has(t)).length >= Math.max(1, TOPIC_COVERAGE * want.size);
    });
    ids = topStories(about.map((p) => p.article));
    passages = about;
  } else {
    ids = topStories(await articlesIn(deps.store, filter));
  }
  const articles = (await Promise.all(ids.map((id) => deps.store.getArticle(id)))).filter((a): a is Article => !!a && !!a.date);
  articles.sort((a, b) => b.date!.localeCompare(a.date!));
  const quotes: Quote[] = [];
  const cited: Passage[] = [];
  for (const a of articles) {
    const lead = leadSentence(a);
    if (!lead) continue;
    const n = quotes.length + 1;
    quotes.push({ n, text: a.text.slice(lead.start, lead.end), ...citation(a), start: lead.start, end: lead.end, score: 1 });
    const shown = passages.find((p) => p.article.id === a.id && p.start <= lead.start && lead.end <= p.end) ?? (await leadPassage(deps.store, a, lead));
    if (shown) cited.push(shown);
  }
  if (!quotes.length) return undefined;
  const span =
    filter.since && filter.until
      ? filter.since === filter.until
        ? `on ${longDate(filter.since)}`
        : `from ${longDate(filter.since)} to ${longDate(filter.until)}`
      : 'lately';
  const head = `${ask.topic ? `News about ${ask.topic}` : 'Top stories'} ${span}, newest first:`;
  const lines = quotes.map((x) => `${longDate(x.date!)}, ${x.title}: “${x.text}” [${x.n}]`);
  return { answer: { answer: [head, ...lines].join('\n'), found: true, quotes, query: ask.topic || q.query, evidence: 1 }, passages: cited };
}

/** The chunk that holds the lead, as a passage (the first chunks only: a lead is near the top). */
async function leadPassage(store: Pick<Store, 'getChunks'>, a: Article, lead: { start: number; end: number }): Promise<Passage | undefined> {
  const chunks = await store.getChunks([0, 1, 2].map((n) => chunkId(a.id, n)));
  const c = chunks.find(({ chunk }) => chunk.start <= lead.start && lead.end <= chunk.end);
  return (
    c && { chunkId: c.chunk.id, article: c.article, start: c.chunk.start, end: c.chunk.end, text: c.article.text.slice(c.chunk.start, c.chunk.end), score: 1 }
  );
}

/**
 * The stage. It runs after "rewrite" and before "retrieve"; a question it answers carries its
 * answer and passages, and the stages that build a fact's answer pass it by (ask.ts).
 */
export function digestStage(deps: { store: Pick<Store, 'listArticles' | 'getArticle' | 'getChunks'>; retriever: Retriever }): Stage {
  return {
    name: 'digest',
    async run(q: Question): Promise<Question> {
      // A follow-up ("and the mayor?") is about the story before it, never a digest of its own.
      const ask = q.history.length && q.query !== q.text ? undefined : periodQuestion(q.focus);
      const named = !!(q.time.since || q.time.until);
      if (!ask || (ask.needsPeriod && !named) || !q.time.asOf) return q;
      const asOf = Date.parse(q.time.asOf);
      const window: SearchFilter = named
        ? { since: q.time.since ?? undefined, until: q.time.until ?? q.time.asOf }
        : { since: iso(asOf - (DIGEST_DAYS - 1) * DAY), until: q.time.asOf };
      const filter = { ...q.filter, ...window };
      const out = await digest(deps, q, ask, filter);
      if (!out) return q;
      const retrieval = { passages: out.passages, queryVector: new Float32Array(0), timings: { embedMs: 0, vectorMs: 0, keywordMs: 0 } };
      q.onPassages?.(retrieval);
      return { ...q, time: { ...q.time, since: window.since ?? null, until: window.until ?? null }, retrieval, answer: out.answer };
    },
  };
}
