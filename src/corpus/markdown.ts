/** Markdown with optional front matter (title, url, date); else the first `# ` heading is the title. */
import matter from 'gray-matter';
import type { ArticleInput } from './article.js';

const str = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'string' ? v : undefined);

export function parseMarkdown(content: string): ArticleInput {
  const { data, content: body } = matter(content);
  let title = str(data.title);
  let text = body;
  if (!title) {
    const heading = /^\s*#\s+(.+)\s*$/m.exec(body);
    if (heading) {
      title = heading[1].trim();
      text = body.slice(0, heading.index) + body.slice(heading.index + heading[0].length);
    }
  }
  return { title, url: str(data.url) ?? str(data.link), date: str(data.date) ?? str(data.published), text };
}
