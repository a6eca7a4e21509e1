/**
 * Plain text. The archive's own layout is recognised: headline, a date line, the body, and an
 * `Original url:` footer (the url may be wrapped in <>). Anything else: first line as title.
 */
import { normaliseDate, type ArticleInput } from './article.js';

const URL_FOOTER = /\n\s*Original url:\s*\n*\s*<?(https?:\/\/[^\s>]+)>?\s*$/i;

export function parseText(content: string): ArticleInput {
  let body = content.replace(/\r\n?/g, '\n');
  let url: string | undefined;
  const footer = URL_FOOTER.exec(body);
  if (footer) {
    url = footer[1];
    body = body.slice(0, footer.index);
  }
  const lines = body.split('\n');
  const nonEmpty = lines.map((l, i) => [l.trim(), i] as const).filter(([l]) => l);
  if (nonEmpty.length === 0) return { text: '' };
  const [title, titleLine] = nonEmpty[0];
  let start = titleLine + 1;
  let date: string | undefined;
  const second = nonEmpty[1];
  if (second && second[0].length <= 40 && normaliseDate(second[0])) {
    date = second[0];
    start = second[1] + 1;
  }
  const text = lines.slice(start).join('\n');
  // A one-line file is its own text.
  return { title, url, date, text: text.trim() ? text : title };
}
