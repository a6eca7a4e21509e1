/** Markdown with optional front matter (title, url, date); else the first `# ` heading is the title. */
import matter from 'gray-matter';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors.js';
import type { ArticleInput } from './article.js';

// gray-matter evaluates `---js` front matter with eval() unless told not to: an uploaded file
// must never run code, so only YAML (its default) and JSON are read.
const refuseCode = () => {
  throw new AppError('bad_request', 'markdown: front matter must be YAML or JSON, not code');
};
// YAML 1.2's core schema has no timestamps: `date: 2024-13-45` stays the string written, for
// normaliseDate to refuse, where gray-matter's own YAML 1.1 reader would roll it over to 2025-02-14.
const ENGINES = { js: refuseCode, javascript: refuseCode, yaml: (s: string) => (parseYaml(s, { schema: 'core' }) ?? {}) as object };

const str = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'string' ? v : undefined);

export function parseMarkdown(content: string): ArticleInput {
  let parsed;
  try {
    // An empty options object also keeps gray-matter from caching by content between calls.
    parsed = matter(content, { engines: ENGINES });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('bad_request', `markdown: front matter is not valid (${(e as Error).message.split('\n')[0]})`);
  }
  const { data, content: body } = parsed;
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
