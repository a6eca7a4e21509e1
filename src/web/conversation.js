// @ts-check
// The conversation: its turns, kept in localStorage so a reload shows the same conversation,
// and the `history` a follow-up question sends.

const STORE_KEY = 'archivist.conversation.v1';
const MAX_STORED_TURNS = 50;
/** Earlier question/answer pairs sent with a follow-up. */
const HISTORY_EXCHANGES = 8;
/** Longest earlier answer sent back as history; the server accepts more, the rewrite needs less. */
const HISTORY_ANSWER_CHARS = 4000;

/**
 * A passage read, by article and offsets, without its text (a turn keeps these as `sources`):
 * @typedef {{ articleId: string, title: string, url?: string, date?: string, start: number, end: number }} PassageRef
 * @typedef {PassageRef & { text: string }} Passage
 * @typedef {PassageRef & { n: number, text: string, context?: import('./context.js').QuoteContext, alsoReportedBy?: { title: string, source: string, url?: string }[] }} Quote
 * @typedef {'searching' | 'answering' | 'done' | 'error' | 'stopped'} TurnStatus
 * @typedef {{
 *   id: string, question: string, status: TurnStatus, answer: string,
 *   sources: PassageRef[], quotes: Quote[], passages?: Passage[],
 *   found?: boolean, short?: { text: string }, query?: string,
 *   time?: { asOf: string | null, since: string | null, until: string | null, recency: boolean },
 *   timings?: { totalMs?: number }, error?: string,
 *   generator?: 'extractive' | 'openai', warning?: string, answerId?: string,
 *   verification?: { quotes: number, verified: number, removed: number, citationsRemoved: number, unverified: string[] },
 * }} Turn
 * @typedef {{ role: 'user' | 'assistant', content: string }} HistoryMessage
 * @typedef {Pick<Storage, 'getItem' | 'setItem'>} TurnStorage
 */

/**
 * The conversation kept in `storage` (the page passes localStorage; tests may pass a Map-backed one).
 * @param {TurnStorage} storage
 */
export function createConversation(storage) {
  /** @type {Turn[]} */
  let turns = load(storage);
  return {
    /** The turns, oldest first. */
    get turns() {
      return turns;
    },
    /** @param {string} question @returns {Turn} a new turn, already stored */
    start(question) {
      /** @type {Turn} */
      const turn = {
        id: `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
        question,
        status: 'searching',
        answer: '',
        sources: [],
        quotes: [],
      };
      turns.push(turn);
      this.save();
      return turn;
    },
    /** @param {Turn} turn */
    has: (turn) => turns.includes(turn),
    clear() {
      turns = [];
      this.save();
    },
    save() {
      save(storage, turns);
    },
    /** Earlier finished turns as the API's `history`: the question, and the answer text for the reply. */
    history() {
      return historyFor(turns);
    },
  };
}

/** @typedef {ReturnType<typeof createConversation>} Conversation */

/**
 * The stored turns; a turn that was still streaming when the page went away will not finish now.
 * @param {TurnStorage} storage
 * @returns {Turn[]}
 */
function load(storage) {
  try {
    const saved = JSON.parse(storage.getItem(STORE_KEY) ?? '[]');
    if (!Array.isArray(saved)) return [];
    return saved.map((t) => (['done', 'error', 'stopped'].includes(t.status) ? t : { ...t, status: 'stopped' }));
  } catch {
    return [];
  }
}

/**
 * @param {TurnStorage} storage
 * @param {Turn[]} turns
 */
function save(storage, turns) {
  const keep = turns.slice(-MAX_STORED_TURNS).map(({ passages, ...t }) => t); // passage texts stay in memory
  try {
    storage.setItem(STORE_KEY, JSON.stringify(keep));
  } catch {
    // Storage full or disabled: the conversation still works, it just won't survive a reload.
  }
}

/**
 * @param {Turn[]} earlier
 * @returns {HistoryMessage[]}
 */
export function historyFor(earlier) {
  /** @type {HistoryMessage[]} */
  const out = [];
  for (const t of earlier.filter((x) => x.status === 'done').slice(-HISTORY_EXCHANGES)) {
    out.push({ role: 'user', content: t.question }, { role: 'assistant', content: t.answer.slice(0, HISTORY_ANSWER_CHARS) });
  }
  return out;
}
