// The chat page. No build step, no framework, nothing from other origins (the server's CSP
// forbids it). Every piece of article or user text goes in through text nodes, never as HTML.

const STORE_KEY = 'archivist.conversation.v1';
const MAX_STORED_TURNS = 50;
const HISTORY_EXCHANGES = 8; // earlier question/answer pairs sent with a follow-up
const CONTEXT_CHARS = 240; // surrounding text shown on each side of a quote
const ARTICLES_PAGE = 25;

const $ = (id) => document.getElementById(id);
const form = $('ask');
const field = $('question');
const sendButton = $('send');
const stopButton = $('stop');
const list = $('conversation');
const empty = $('empty');
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

/** el('a', { href, class: 'x' }, 'text', child): strings become text nodes, never markup. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}

/** Only http(s) links from article data become hrefs; anything else (javascript:, data:) is dropped. */
function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function externalLink(url, text, cls) {
  const href = safeUrl(url);
  return href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', class: cls }, text) : el('span', { class: cls }, text);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
function dateNode(date) {
  if (!date) return null;
  const iso = /^\d{4}-\d{2}-\d{2}/.exec(date)?.[0];
  const shown = iso ? dateFormat.format(new Date(`${iso}T00:00:00Z`)) : date;
  return el('time', iso ? { datetime: iso } : {}, shown);
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// ---------------------------------------------------------------------------------------------
// Conversation state, kept in localStorage so a reload shows the same conversation.

let turns = load();
let inflight = null; // { controller, turn }

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]');
    if (!Array.isArray(saved)) return [];
    // A turn that was still streaming when the page went away will not finish now.
    return saved.map((t) => (['done', 'error', 'stopped'].includes(t.status) ? t : { ...t, status: 'stopped' }));
  } catch {
    return [];
  }
}

function save() {
  const keep = turns.slice(-MAX_STORED_TURNS).map(({ passages, ...t }) => t); // passage texts stay in memory
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(keep));
  } catch {
    // Storage full or disabled: the conversation still works, it just won't survive a reload.
  }
}

/** Earlier finished turns as the API's `history`: the question, and the answer text for the reply. */
function historyFor(earlier) {
  const out = [];
  for (const t of earlier.filter((x) => x.status === 'done').slice(-HISTORY_EXCHANGES)) {
    out.push({ role: 'user', content: t.question }, { role: 'assistant', content: t.answer.slice(0, 4000) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Streaming: POST /api/chat/stream, read Server-Sent Events off the response body.

async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

async function ask(question) {
  const turn = { id: `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, question, status: 'searching', answer: '', sources: [], quotes: [] };
  const history = historyFor(turns);
  turns.push(turn);
  save();
  showTurn(turn);
  const controller = new AbortController();
  inflight = { controller, turn };
  setBusy(true);
  try {
    const res = await fetch('/api/chat/stream', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(history.length ? { question, history } : { question }),
      signal: controller.signal,
    });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const body = await res.json().catch(() => null);
      throw new Error(body?.error?.message ?? `The server answered ${res.status} ${res.statusText}`);
    }
    let contexts = Promise.resolve();
    for await (const { event, data } of readEvents(res)) {
      if (event === 'sources') {
        turn.passages = data.passages;
        turn.sources = data.passages.map(({ text, ...p }) => p);
        turn.status = 'answering';
        showTurn(turn);
      } else if (event === 'delta') {
        turn.answer += data.text;
        appendDelta(turn, data.text);
      } else if (event === 'quotes') {
        Object.assign(turn, { answer: data.answer, found: data.found, short: data.short, query: data.query, quotes: data.quotes });
        contexts = addContexts(turn);
      } else if (event === 'done') {
        await contexts;
        turn.timings = data.timings;
        turn.status = 'done';
      } else if (event === 'error') {
        throw new Error(data.message);
      }
    }
    if (turn.status !== 'done') throw new Error('The answer was cut off before it finished. Please ask again.');
  } catch (err) {
    if (controller.signal.aborted) turn.status = 'stopped';
    else {
      turn.status = 'error';
      turn.error = err instanceof Error ? err.message : String(err);
    }
  } finally {
    if (inflight?.turn === turn) inflight = null;
    setBusy(false);
    if (turns.includes(turn)) {
      save();
      showTurn(turn);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quotes in context: the article text from GET /api/articles/:id when the server has it, else
// the passage the quote came from (the sources event carries passage texts and offsets).

const articleTexts = new Map();
let articlesApi = true;

function articleText(id) {
  if (!articlesApi) return Promise.resolve(null);
  if (!articleTexts.has(id)) {
    articleTexts.set(
      id,
      fetch(`/api/articles/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } })
        .then(async (res) => {
          if (!res.ok) {
            if (res.status === 404 && (await res.json().catch(() => null))?.error?.message?.startsWith('no route')) articlesApi = false;
            return null;
          }
          const body = await res.json();
          const article = typeof body?.text === 'string' ? body : body?.article;
          return typeof article?.text === 'string' ? article.text : null;
        })
        .catch(() => null),
    );
  }
  return articleTexts.get(id);
}

/**
 * A little text around [start, end): whole sentences within CONTEXT_CHARS on each side when
 * there are any, else words with an ellipsis. `base` is where `text` starts in the article.
 */
function cutContext(text, start, end, base = 0) {
  const s = start - base;
  const e = end - base;
  const from = Math.max(0, s - CONTEXT_CHARS);
  const to = Math.min(text.length, e + CONTEXT_CHARS);
  let before = text.slice(from, s);
  let after = text.slice(e, to);
  if (from > 0) {
    const boundary = /(?:[.!?][\u201d"\u2019')\]]*\s+|\n+)(?=\S)/.exec(before);
    before = boundary ? before.slice(boundary.index + boundary[0].length) : `…${before.replace(/^\S*\s+/, '')}`;
  }
  if (to < text.length) {
    const ends = [...after.matchAll(/[.!?][\u201d"\u2019')\]]*(?=\s)/g)];
    const last = ends.at(-1);
    after = last ? after.slice(0, last.index + last[0].length) : `${after.replace(/\s+\S*$/, '')}…`;
  }
  const tidy = (t) => t.replace(/[ \t]*\n\s*/g, '\n').replace(/[ \t]+/g, ' ');
  return { before: tidy(before).trimStart(), after: tidy(after).trimEnd() };
}

async function addContexts(turn) {
  await Promise.all(
    turn.quotes.map(async (q) => {
      const text = await articleText(q.articleId);
      if (text && text.slice(q.start, q.end) === q.text) {
        q.context = cutContext(text, q.start, q.end);
        return;
      }
      const p = (turn.passages ?? []).find((x) => x.articleId === q.articleId && x.start <= q.start && q.end <= x.end);
      if (p && p.text.slice(q.start - p.start, q.end - p.start) === q.text) q.context = cutContext(p.text, q.start, q.end, p.start);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Rendering. A turn is re-rendered whole when its phase changes; deltas are appended in place.

const quoteId = (turn, n) => `${turn.id}-q${n}`;

function showTurn(turn) {
  const node = renderTurn(turn);
  const old = list.querySelector(`[data-turn="${turn.id}"]`);
  if (old) old.replaceWith(node);
  else list.append(node);
  empty.hidden = turns.length > 0;
  if (turn.status === 'searching') node.scrollIntoView({ block: 'end', behavior: reducedMotion.matches ? 'auto' : 'smooth' });
}

function renderAll() {
  list.replaceChildren(...turns.map(renderTurn));
  empty.hidden = turns.length > 0;
}

function appendDelta(turn, text) {
  const target = list.querySelector(`[data-turn="${turn.id}"] .answer-text`);
  if (!target) return showTurn(turn);
  target.append(text);
  const status = list.querySelector(`[data-turn="${turn.id}"] .status-text`);
  if (status && status.textContent !== 'Writing the answer…') status.textContent = 'Writing the answer…';
}

function renderTurn(turn) {
  const busy = turn.status === 'searching' || turn.status === 'answering';
  const notFound = turn.status === 'done' && turn.found === false;
  const reply = el(
    'article',
    {
      class: `reply${notFound ? ' not-found' : ''}${turn.status === 'error' ? ' failed' : ''}`,
      'aria-busy': busy ? 'true' : 'false',
      'aria-label': 'Archivist’s answer',
    },
  );

  if (busy) {
    reply.append(
      el('p', { class: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }),
        el('span', { class: 'status-text' }, turn.status === 'searching' ? 'Searching the articles…' : turn.answer ? 'Writing the answer…' : 'Reading the passages…')),
    );
  }
  // Sources come first while answering; under a "not found" they are only what was looked at.
  if (turn.sources.length && turn.status !== 'error' && !notFound) reply.append(renderSources(turn, notFound));

  if (turn.status === 'done') {
    reply.append(renderAnswer(turn));
    if (turn.quotes.length) reply.append(renderQuotes(turn));
    if (notFound && turn.sources.length) reply.append(renderSources(turn, notFound));
  } else if (busy) {
    reply.append(el('p', { class: 'answer-text streaming' }, turn.answer));
  } else if (turn.status === 'error') {
    reply.append(el('p', { class: 'badge error-badge' }, 'Something went wrong'), el('p', { class: 'error-text', role: 'alert' }, turn.error ?? 'Unknown error'));
  } else if (turn.status === 'stopped') {
    if (turn.answer) reply.append(el('p', { class: 'answer-text' }, turn.answer));
    reply.append(el('p', { class: 'muted' }, 'Stopped before the answer was finished.'));
  }
  if (turn.status === 'done') reply.append(renderMeta(turn));

  return el(
    'li',
    { class: 'turn', 'data-turn': turn.id, 'data-state': turn.status },
    el('div', { class: 'question' }, el('span', { class: 'visually-hidden' }, 'You asked: '), el('p', { class: 'question-text' }, turn.question)),
    reply,
  );
}

function renderSources(turn, notFound) {
  const byArticle = new Map();
  for (const p of turn.sources) {
    const seen = byArticle.get(p.articleId);
    if (seen) seen.count += 1;
    else byArticle.set(p.articleId, { ...p, count: 1 });
  }
  const heading = notFound
    ? `Looked at ${plural(turn.sources.length, 'passage')}; none of them answers this`
    : `Read ${plural(turn.sources.length, 'passage')} from ${plural(byArticle.size, 'article')}`;
  return el(
    'section',
    { class: 'sources', 'aria-label': 'Sources' },
    el('p', { class: 'sources-title' }, heading),
    el(
      'ul',
      { class: 'source-list' },
      [...byArticle.values()].map((s) =>
        el('li', { class: 'source' }, externalLink(s.url, s.title, 'source-title'),
          el('span', { class: 'source-meta' }, dateNode(s.date), s.count > 1 ? ` · ${s.count} passages` : '')),
      ),
    ),
  );
}

function renderAnswer(turn) {
  const box = el('div', { class: 'answer' });
  if (turn.found === false) {
    box.append(el('p', { class: 'badge' }, 'Not found in the articles'), el('p', { class: 'answer-text' }, turn.answer));
    box.append(el('p', { class: 'muted' }, 'Nothing in the indexed articles supports an answer. Try other words, or check the articles list.'));
    return box;
  }
  let rest = turn.answer;
  if (turn.short?.text && rest.startsWith(turn.short.text)) {
    box.append(el('p', { class: 'short-answer' }, turn.short.text));
    rest = rest.slice(turn.short.text.length).replace(/^[\s.:;,–—-]+/, '');
  }
  const text = el('p', { class: 'answer-text' });
  const numbers = new Set(turn.quotes.map((q) => q.n));
  let last = 0;
  for (const m of rest.matchAll(/\[(\d+)\]/g)) {
    const n = Number(m[1]);
    if (!numbers.has(n)) continue;
    text.append(rest.slice(last, m.index));
    const link = el('a', { class: 'ref', href: `#${quoteId(turn, n)}`, 'aria-label': `Quote ${n}` }, `[${n}]`);
    text.append(link);
    last = m.index + m[0].length;
  }
  text.append(rest.slice(last));
  box.append(text);
  return box;
}

function renderQuotes(turn) {
  return el(
    'ol',
    { class: 'quotes', 'aria-label': 'Quotes' },
    turn.quotes.map((q) =>
      el(
        'li',
        { class: 'quote', id: quoteId(turn, q.n), tabindex: '-1' },
        el('span', { class: 'quote-n', 'aria-hidden': 'true' }, String(q.n)),
        el(
          'div',
          { class: 'quote-body' },
          el('blockquote', { class: 'quote-context', cite: safeUrl(q.url) }, q.context?.before ?? '', el('mark', {}, q.text), q.context?.after ?? ''),
          el('p', { class: 'quote-cite' }, externalLink(q.url, q.title, 'quote-title'), q.date ? ' · ' : '', dateNode(q.date)),
        ),
      ),
    ),
  );
}

function renderMeta(turn) {
  const meta = el('p', { class: 'meta' });
  if (turn.query) meta.append('Searched for: ', el('q', { class: 'query' }, turn.query));
  if (turn.timings?.totalMs !== undefined) meta.append(el('span', { class: 'timing' }, ` · ${(turn.timings.totalMs / 1000).toFixed(2)} s`));
  return meta;
}

// [n] links move focus to their quote, so keyboard and screen-reader users land there too.
list.addEventListener('click', (ev) => {
  const link = ev.target instanceof Element ? ev.target.closest('a.ref') : null;
  if (!link) return;
  const target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  ev.preventDefault();
  target.scrollIntoView({ block: 'nearest', behavior: reducedMotion.matches ? 'auto' : 'smooth' });
  target.focus({ preventScroll: true });
  target.classList.remove('flash');
  void target.offsetWidth; // restart the highlight animation
  target.classList.add('flash');
});

// ---------------------------------------------------------------------------------------------
// The composer: Enter sends, Shift+Enter is a new line.

function setBusy(busy) {
  // While an answer streams, the Ask button turns into Stop; focus follows if it was on it.
  const hadFocus = document.activeElement === sendButton || document.activeElement === stopButton;
  sendButton.hidden = busy;
  stopButton.hidden = !busy;
  if (hadFocus) (busy ? stopButton : field).focus();
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const question = field.value.trim();
  if (!question || inflight) return;
  field.value = '';
  ask(question);
});

field.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    form.requestSubmit();
  }
});

stopButton.addEventListener('click', () => {
  inflight?.controller.abort();
  field.focus();
});

$('new-conversation').addEventListener('click', () => {
  inflight?.controller.abort();
  turns = [];
  save();
  renderAll();
  field.focus();
});

// ---------------------------------------------------------------------------------------------
// The articles panel: GET /api/articles when the server has it, else the counts from /api/health.

const panel = $('articles-panel');
const articleList = $('articles-list');
const articleStatus = $('articles-status');
const articleCount = $('articles-count');
const moreButton = $('articles-more');
let articleOffset = 0;

async function loadArticles() {
  articleStatus.textContent = 'Loading…';
  moreButton.hidden = true;
  try {
    const res = await fetch(`/api/articles?offset=${articleOffset}&limit=${ARTICLES_PAGE}`, { headers: { accept: 'application/json' } });
    if (res.status === 404) return loadCounts();
    if (!res.ok) throw new Error(`The server answered ${res.status}`);
    const page = await res.json();
    for (const a of page.items ?? []) {
      articleList.append(
        el('li', { class: 'article' }, externalLink(a.url, a.title || a.id, 'article-title'),
          el('span', { class: 'article-meta' }, dateNode(a.date), a.date && a.chunks ? ' · ' : '', a.chunks ? plural(a.chunks, 'passage') : '')),
      );
    }
    articleOffset += page.items?.length ?? 0;
    articleCount.textContent = `(${page.total})`;
    articleStatus.textContent = page.total ? `${plural(page.total, 'article')} indexed` : 'No articles are indexed yet.';
    moreButton.hidden = articleOffset >= page.total || !page.items?.length;
  } catch (err) {
    articleStatus.textContent = `Could not load the articles: ${err instanceof Error ? err.message : err}`;
  }
}

async function loadCounts() {
  const res = await fetch('/api/health', { headers: { accept: 'application/json' } });
  const health = await res.json();
  const { articles = 0, chunks = 0 } = health.index ?? {};
  articleCount.textContent = `(${articles})`;
  articleStatus.textContent = `${plural(articles, 'article')} in ${plural(chunks, 'passage')} indexed.`;
}

moreButton.addEventListener('click', loadArticles);
if (window.matchMedia('(min-width: 64rem)').matches) panel.open = true;

renderAll();
setBusy(false);
loadArticles();
