// @ts-check
// The chat page's entry: finds the page's elements, wires the composer, and runs a question
// through POST /api/chat/stream. No build step, no framework, nothing from other origins (the
// server's CSP forbids it). The pieces: sse.js (reading the stream), conversation.js (turns and
// their storage), render.js (turns as DOM), context.js (quotes in context), articles.js (the
// articles panel and article texts), sources.js (the sources panel).

import { api } from './api.js';
import { createArticlesPanel, createArticleTexts } from './articles.js';
import { createSourcesPanel } from './sources.js';
import { addContexts } from './context.js';
import { createConversation } from './conversation.js';
import { renderTurn } from './render.js';
import { readEvents } from './sse.js';

/** @typedef {import('./conversation.js').Turn} Turn */

/**
 * The element with this id, of the expected kind; a page without it is a broken page.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} kind
 * @returns {T}
 */
function byId(id, kind) {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page: #${id} is missing`);
  return node;
}

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
/** @returns {ScrollBehavior} smooth, unless the reader asked for less motion */
const scrolling = () => (reducedMotion.matches ? 'auto' : 'smooth');

/**
 * The conversation list as DOM: one turn drawn anew or in place, all of them, or an answer's
 * next words appended while it streams.
 * @param {HTMLOListElement} list
 * @param {HTMLElement} empty what the page shows while there are no turns
 * @param {ReturnType<typeof createConversation>} conversation
 */
function createTurnView(list, empty, conversation) {
  /** @param {Turn} turn */
  function show(turn) {
    const node = renderTurn(turn);
    const old = list.querySelector(`[data-turn="${turn.id}"]`);
    if (old) old.replaceWith(node);
    else list.append(node);
    empty.hidden = conversation.turns.length > 0;
    // A new question comes into view above the composer; when its answer starts and when it is
    // done, the turn's top is brought under the header, so a long answer is read from its start
    // and never sits hidden under the sticky composer.
    if (turn.status === 'searching') node.scrollIntoView({ block: 'end', behavior: scrolling() });
    else if ((turn.status === 'answering' || turn.status === 'done') && turn === conversation.turns.at(-1)) {
      node.scrollIntoView({ block: 'start', behavior: scrolling() });
    }
  }

  function showAll() {
    list.replaceChildren(...conversation.turns.map(renderTurn));
    empty.hidden = conversation.turns.length > 0;
  }

  /** @param {Turn} turn @param {string} text */
  function appendDelta(turn, text) {
    const target = list.querySelector(`[data-turn="${turn.id}"] .answer-text`);
    if (!target) return show(turn);
    target.append(text);
    const status = list.querySelector(`[data-turn="${turn.id}"] .status-text`);
    if (status && status.textContent !== 'Writing the answer…') status.textContent = 'Writing the answer…';
  }

  return { show, showAll, appendDelta };
}

/**
 * Posts the question; resolves with the answer's event stream, or throws an Error whose message
 * the turn shows (no token accepted, the server's own error message, or its status).
 * @param {string} question
 * @param {ReturnType<ReturnType<typeof createConversation>['history']>} history
 * @param {AbortSignal} signal
 */
async function openAnswerStream(question, history, signal) {
  const res = await api('/api/chat/stream', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(history.length ? { question, history } : { question }),
    signal,
  });
  if (res.status === 401) throw new Error('This archive needs an API token, and none was accepted. Ask again to enter it.');
  if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.error?.message ?? `The server answered ${res.status} ${res.statusText}`);
  }
  return res.body;
}

/**
 * Reads the answer's events into `turn`, drawing it as they come: the passages found, the words,
 * the final answer with its quotes (and their contexts), done. Throws on the server's error event
 * or a stream that ends before done.
 * @param {Turn} turn
 * @param {NonNullable<Response['body']>} body
 * @param {ReturnType<typeof createTurnView>} view
 * @param {ReturnType<typeof createArticleTexts>} articleText
 */
async function readAnswer(turn, body, view, articleText) {
  let contexts = Promise.resolve();
  for await (const { event, data } of readEvents(body)) {
    if (event === 'sources') {
      turn.passages = data.passages;
      turn.sources = data.passages.map(/** @param {import('./conversation.js').Passage} p */ ({ text, ...p }) => p);
      turn.status = 'answering';
      view.show(turn);
    } else if (event === 'delta') {
      turn.answer += data.text;
      view.appendDelta(turn, data.text);
    } else if (event === 'quotes') {
      Object.assign(turn, {
        answer: data.answer,
        found: data.found,
        short: data.short,
        query: data.query,
        quotes: data.quotes,
        time: data.time,
        answerId: data.answerId,
      });
      // Present only when a model is configured: who answered, how its quotes fared, and why to be careful.
      Object.assign(turn, { generator: data.generator, verification: data.verification, warning: data.warning });
      contexts = addContexts(turn, articleText);
    } else if (event === 'done') {
      await contexts;
      turn.timings = data.timings;
      turn.status = 'done';
    } else if (event === 'error') {
      throw new Error(data.message);
    }
  }
  if (turn.status !== 'done') throw new Error('The answer was cut off before it finished. Please ask again.');
}

/**
 * [n] links move focus to their quote, so keyboard and screen-reader users land there too.
 * @param {HTMLOListElement} list
 */
function followQuoteLinks(list) {
  list.addEventListener('click', (ev) => {
    const link = ev.target instanceof Element ? ev.target.closest('a.ref') : null;
    if (!link) return;
    const target = document.getElementById((link.getAttribute('href') ?? '').slice(1));
    if (!target) return;
    ev.preventDefault();
    target.scrollIntoView({ block: 'nearest', behavior: scrolling() });
    target.focus({ preventScroll: true });
    target.classList.remove('flash');
    void target.offsetWidth; // restart the highlight animation
    target.classList.add('flash');
  });
}

/**
 * The composer: Enter sends, Shift+Enter is a new line; Stop stops the answer under way.
 * Returns `setBusy`, which turns Ask into Stop while an answer streams.
 * @param {{ ask: (question: string) => void, busy: () => boolean, stop: () => void }} actions
 */
function createComposer({ ask, busy, stop }) {
  const form = byId('ask', HTMLFormElement);
  const field = byId('question', HTMLTextAreaElement);
  const sendButton = byId('send', HTMLButtonElement);
  const stopButton = byId('stop', HTMLButtonElement);

  /** @param {boolean} isBusy */
  function setBusy(isBusy) {
    // Focus follows the button if it was on it.
    const hadFocus = document.activeElement === sendButton || document.activeElement === stopButton;
    sendButton.hidden = isBusy;
    stopButton.hidden = !isBusy;
    if (hadFocus) (isBusy ? stopButton : field).focus();
    form.setAttribute('aria-busy', isBusy ? 'true' : 'false');
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const question = field.value.trim();
    if (!question || busy()) return;
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
    stop();
    field.focus();
  });

  return { setBusy, focus: () => field.focus() };
}

/** The articles and sources panels, open beside the conversation on a wide screen; returns what loads both. */
function createPanels() {
  const panel = byId('articles-panel', HTMLDetailsElement);
  const loadArticles = createArticlesPanel({
    list: byId('articles-list', HTMLUListElement),
    status: byId('articles-status', HTMLElement),
    count: byId('articles-count', HTMLElement),
    more: byId('articles-more', HTMLButtonElement),
  });
  const sourcesPanel = byId('sources-panel', HTMLDetailsElement);
  const loadSources = createSourcesPanel({
    panel: sourcesPanel,
    list: byId('sources-list', HTMLUListElement),
    status: byId('sources-status', HTMLElement),
    count: byId('sources-count', HTMLElement),
  });
  if (window.matchMedia('(min-width: 64rem)').matches) panel.open = sourcesPanel.open = true;
  return () => {
    loadArticles();
    loadSources();
  };
}

function start() {
  const list = byId('conversation', HTMLOListElement);
  const conversation = createConversation(localStorage);
  const view = createTurnView(list, byId('empty', HTMLElement), conversation);
  const articleText = createArticleTexts();
  /** @type {{ controller: AbortController, turn: Turn } | null} */
  let inflight = null;

  /** @param {string} question */
  async function ask(question) {
    const history = conversation.history();
    const turn = conversation.start(question);
    view.show(turn);
    const controller = new AbortController();
    inflight = { controller, turn };
    composer.setBusy(true);
    try {
      await readAnswer(turn, await openAnswerStream(question, history, controller.signal), view, articleText);
    } catch (err) {
      if (controller.signal.aborted) turn.status = 'stopped';
      else {
        turn.status = 'error';
        turn.error = err instanceof Error ? err.message : String(err);
      }
    } finally {
      if (inflight?.turn === turn) inflight = null;
      composer.setBusy(false);
      if (conversation.has(turn)) {
        conversation.save();
        view.show(turn);
      }
    }
  }

  const composer = createComposer({ ask, busy: () => inflight !== null, stop: () => inflight?.controller.abort() });
  followQuoteLinks(list);
  byId('new-conversation', HTMLButtonElement).addEventListener('click', () => {
    inflight?.controller.abort();
    conversation.clear();
    view.showAll();
    composer.focus();
  });
  const loadPanels = createPanels();

  view.showAll();
  composer.setBusy(false);
  loadPanels();
}

start();
