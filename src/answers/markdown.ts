/**
 * A kept answer as Markdown, to paste into a message or a document: the question, the answer,
 * each quote as a blockquote with `— [Title](url), date`, and a line saying the quotes are
 * verbatim. Quote text is never escaped or reflowed: it stays the article's own words.
 */
import type { AnswerView } from './book.js';

/** Brackets in a title would end the link text early. */
const linkText = (s: string) => s.replace(/([[\]\\])/g, '\\$1');
/** Spaces and parentheses would end the link target early. */
const linkUrl = (u: string) => u.replace(/ /g, '%20').replace(/\(/g, '%28').replace(/\)/g, '%29');
const day = (d?: string) => (d ? (/^\d{4}-\d{2}-\d{2}/.exec(d)?.[0] ?? d) : undefined);

/**
 * @param permalink the answer's page (`https://host/a/<id>`), linked at the end
 * @example answerMarkdown(view, 'http://127.0.0.1:3000/a/abc…') // '**Question:** …\n\n…\n\n> [1] …'
 */
export function answerMarkdown(view: AnswerView, permalink: string): string {
  const out = [`**Question:** ${view.question.replace(/\s*\n\s*/g, ' ')}`, '', view.answer, ''];
  for (const q of view.quotes) {
    const lines = `[${q.n}] ${q.text}`.split('\n');
    out.push(...lines.map((l) => `> ${l}`));
    const title = q.url ? `[${linkText(q.title)}](${linkUrl(q.url)})` : linkText(q.title);
    out.push('>', `> — ${[title, day(q.date)].filter(Boolean).join(', ')}`);
    if (q.note) out.push('>', `> *${q.note}*`);
    out.push('');
  }
  const by = view.by.generator === 'openai' ? `written by ${view.by.model ?? 'a language model'} from the archive` : "built from the archive's own sentences";
  out.push(
    view.quotes.length
      ? `*Quotes are verbatim from the archived articles (each exactly the article's text); the answer was ${by}. [Permalink](${permalink}), answered ${view.at.slice(0, 10)}.*`
      : `*The answer was ${by}. [Permalink](${permalink}), answered ${view.at.slice(0, 10)}.*`,
  );
  return `${out.join('\n')}\n`;
}
