/**
 * The prompt for the user's model, in one place: the rules, the numbered passages (title and
 * date), the conversation so far, the question. The rules ask for what the code then checks
 * (verify.ts): a rule in a prompt is a request, never a guarantee.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Passage } from './retrieve.js';
import type { Turn } from './rewrite.js';

/** The sentence the model is asked to write when the passages do not answer (isRefusal below spots it). */
export const NO_ANSWER = 'The articles do not answer this.';

const RULES = [
  // Grounding: the model's own knowledge may be newer, older or wrong; the archive is the source.
  'Answer only from the numbered passages below. Do not use anything you know from elsewhere.',
  // Citations let the reader (and our code) find where each claim comes from.
  'After each claim, cite the passage it comes from as [n], using the passage number.',
  // Quotes are what verify.ts locates in the article text; a paraphrase in quotes fails the check.
  'Put the words that support each claim in double quotes, copied exactly from the passage: same words, same order, nothing added or left out.',
  // A fixed sentence makes a refusal recognisable in code (found: false) whatever the model.
  `If the passages do not answer the question, reply only: ${NO_ANSWER}`,
  // Short answers read better and leave fewer places for unsupported claims.
  'Be brief: one to three sentences.',
]
  .map((r, i) => `${i + 1}. ${r}`)
  .join('\n');

const SYSTEM = `You answer questions about a news archive.\n\nRules:\n${RULES}`;

/**
 * No tokenizer for the user's model is available here, so tokens are estimated from characters:
 * English runs at about 4 characters a token; 3 leaves room for names, numbers and other scripts.
 */
export const estimateTokens = (text: string) => Math.ceil(text.length / 3);

/** Tokens each message costs beyond its text (role markers, separators), a common allowance. */
const PER_MESSAGE = 8;

export interface PromptBudget {
  /** The model's context window (LLM_CONTEXT_TOKENS). */
  contextTokens: number;
  /** Reserved for the answer (LLM_MAX_TOKENS). */
  maxTokens: number;
}

const header = (p: Passage, n: number) => `[${n}] ${p.article.title}${p.article.date ? ` (${p.article.date})` : ''}`;

/**
 * Builds the messages and returns the passages that fit, in the numbering the model saw.
 * Passages go in retrieval order while they fit the budget; earlier turns the newest first,
 * with at most a quarter of the budget, since the passages matter more.
 * @example buildPrompt({ question: 'Who met Belousov?', passages, budget: { contextTokens: 4096, maxTokens: 512 } })
 */
export function buildPrompt(input: { question: string; history?: Turn[]; passages: Passage[]; budget: PromptBudget }): {
  messages: ChatCompletionMessageParam[];
  passages: Passage[];
} {
  const { question, budget } = input;
  let left = budget.contextTokens - budget.maxTokens - estimateTokens(SYSTEM) - estimateTokens(question) - 3 * PER_MESSAGE;

  const history: Turn[] = [];
  let historyLeft = Math.floor(left / 4);
  for (const turn of [...(input.history ?? [])].reverse()) {
    const cost = estimateTokens(turn.content) + PER_MESSAGE;
    if (cost > historyLeft) break;
    historyLeft -= cost;
    left -= cost;
    history.unshift(turn);
  }
  // A conversation that opens with an answer to a question the model cannot see would confuse it.
  while (history[0]?.role === 'assistant') left += estimateTokens(history.shift()!.content) + PER_MESSAGE;

  const sent: Passage[] = [];
  const blocks: string[] = [];
  for (const p of input.passages) {
    const block = `${header(p, sent.length + 1)}\n${p.text}`;
    const cost = estimateTokens(block) + 2;
    if (cost > left) break;
    left -= cost;
    sent.push(p);
    blocks.push(block);
  }

  const context = blocks.length ? `Passages:\n\n${blocks.join('\n\n')}` : 'Passages: none.';
  return {
    messages: [
      { role: 'system', content: `${SYSTEM}\n\n${context}` },
      ...history.map((t) => ({ role: t.role, content: t.content }) as ChatCompletionMessageParam),
      { role: 'user', content: question },
    ],
    passages: sent,
  };
}

/**
 * True when the model said the passages do not answer: the sentence the rules ask for, or the
 * usual ways models put it when they paraphrase that rule.
 */
export function isRefusal(answer: string): boolean {
  const text = answer.trim().toLowerCase().replace(/[’']/g, "'");
  if (text.includes(NO_ANSWER.toLowerCase().slice(0, -1))) return true;
  return /^(i'm sorry|sorry|unfortunately)?[ ,]*(the )?(articles|passages|sources)( provided)? (do not|don't|does not|doesn't) (answer|say|mention|contain|provide)/.test(
    text,
  );
}
