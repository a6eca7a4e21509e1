/**
 * Turns a follow-up ("When did he arrive?", "And the navy?") into a standalone query by carrying
 * the subject and key terms of the earlier turns. Pronouns are replaced by the last name the
 * conversation mentioned; a question that already names its subject is left alone.
 */
import { names as namesIn, STOP_WORDS, words } from '../text.js';
import type { Question, Stage } from './question.js';

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

const PRONOUN = /\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there)\b/i;
const PERSON_PRONOUN = /\b(he|she|him|her|his|hers)\b/gi;
const QUESTION_WORDS = new Set([
  'who',
  'what',
  'when',
  'where',
  'why',
  'how',
  'which',
  'and',
  'did',
  'does',
  'is',
  'was',
  'are',
  'were',
  'do',
  'can',
  'could',
  'would',
  'should',
  'will',
  'has',
  'have',
  'had',
  'tell',
  'according',
  'in',
  'on',
  'the',
  'a',
  'an',
  'i',
  "what's",
  'please',
  'show',
  'give',
  'list',
]);

/** Capitalised phrases that are not the first word of a question: "Andrei Belousov", "Dong Jun". */
export function names(text: string): string[] {
  const out: string[] = [];
  for (const name of namesIn(text)) {
    const words = name.split(/\s+/).filter((w) => !QUESTION_WORDS.has(w.toLowerCase()));
    if (words.length) out.push(words.join(' '));
  }
  return out;
}

function contentWords(text: string): string[] {
  return words(text.toLowerCase()).filter((w) => !STOP_WORDS.has(w) && !QUESTION_WORDS.has(w) && w.length > 2);
}

/** A question that leans on earlier turns: a pronoun, a leading "and/what about", or very short. */
export function isFollowUp(question: string): boolean {
  const q = question.trim();
  return PRONOUN.test(q) || /^(and|also|what about|how about|but)\b/i.test(q) || contentWords(q).length <= 1;
}

/**
 * @example
 *   rewriteQuery('When did he arrive?', [{ role: 'user', content: 'Who is Andrei Belousov?' }])
 *   // 'When did Andrei Belousov arrive?'
 */
export function rewriteQuery(question: string, history: Turn[] = []): string {
  const q = question.trim();
  const users = history.filter((t) => t.role === 'user').map((t) => t.content);
  if (!users.length || !isFollowUp(q)) return q;
  const lastUser = users.at(-1)!;
  const lastAnswer = history.filter((t) => t.role === 'assistant').at(-1)?.content ?? '';
  // The subject: a full name from the last question, else from the last answer, else any name.
  const full = (t: string) => names(t).find((n) => n.includes(' '));
  const subject = full(lastUser) ?? full(lastAnswer) ?? names(lastUser)[0] ?? names(lastAnswer)[0];
  let rewritten = q;
  if (subject && !q.includes(subject)) {
    let replaced = false;
    rewritten = q.replace(PERSON_PRONOUN, (p) => {
      if (replaced) return p;
      replaced = true;
      return /^(his|hers)$/i.test(p) || (p.toLowerCase() === 'her' && /\bher\s+\w+/i.test(q)) ? `${subject}'s` : subject;
    });
    // A resolved pronoun carries the subject; more terms would only dilute the new question.
    if (replaced) return rewritten;
    rewritten = `${rewritten.replace(/[?.!]+$/, '')} ${subject}`;
  }
  // Carry the earlier question's key terms so the topic survives ("And the navy?").
  const have = new Set(contentWords(rewritten));
  const carried = contentWords(lastUser).filter((w) => !have.has(w) && !(subject ?? '').toLowerCase().includes(w));
  const extra = [...new Set(carried)].slice(0, 6);
  return extra.length ? `${rewritten.replace(/\s*[?.!]+$/, '')} (${extra.join(' ')})` : rewritten;
}

/** The "rewrite" stage: the standalone query a follow-up stands for. */
export const rewrite: Stage = {
  name: 'rewrite',
  run: (q: Question): Question => ({ ...q, query: rewriteQuery(q.focus, q.history) }),
};
