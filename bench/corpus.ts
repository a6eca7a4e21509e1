/**
 * A large corpus for benchmarks, made from text already on the machine: the prose of the
 * Markdown documentation in node_modules and of Debian's /usr/share/doc, cut at headings into
 * article-sized pieces. It is only used as volume and as distractors, so it does not need to
 * be news; it must just be real, varied English text.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeArticle, type Article } from '../src/corpus/article.js';

async function* files(dir: string, match: RegExp, depth = 0): AsyncGenerator<string> {
  if (depth > 8) return;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p, match, depth + 1);
    else if (e.isFile() && match.test(e.name)) yield p;
  }
}

/** Drops code blocks, tables, links and markup so what is left reads as prose. */
function prose(md: string): string {
  return md
    .replace(/```[\s\S]*?```/g, '')
    .replace(/^\s*\|.*$/gm, '')
    .replace(/<[^>]+>/g, '')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^[ \t]*[-*]{3,}\s*$/gm, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Pieces of about `size` characters, cut at headings or paragraph breaks. */
function pieces(text: string, size: number): { title: string; body: string }[] {
  const out: { title: string; body: string }[] = [];
  let title = '';
  let body: string[] = [];
  let len = 0;
  const flush = () => {
    const b = body.join('\n\n').trim();
    if (b.length > size / 3 && /[a-z]{3,} [a-z]{3,} [a-z]{3,}/.test(b)) out.push({ title: title || b.slice(0, 60), body: b });
    body = [];
    len = 0;
  };
  for (const para of text.split(/\n\s*\n/)) {
    const heading = /^#{1,6}\s+(.+)$/.exec(para.trim());
    if (heading) {
      if (len > size / 2) flush();
      title = heading[1].replace(/[#*_]/g, '').trim();
      continue;
    }
    body.push(para.trim());
    len += para.length;
    if (len >= size) flush();
  }
  flush();
  return out;
}

/**
 * `n` distractor articles, the same ones on every run of the same machine.
 * @example const articles = await distractorArticles(2000);
 */
export async function distractorArticles(n: number, opts: { size?: number; root?: string } = {}): Promise<Article[]> {
  const size = opts.size ?? 3000;
  const root = opts.root ?? process.cwd();
  const sources: AsyncGenerator<string>[] = [files(join(root, 'node_modules'), /\.(md|markdown)$/i), files('/usr/share/doc', /\.(md|txt|gz)$/i)];
  const out: Article[] = [];
  const seen = new Set<string>();
  for (const gen of sources) {
    for await (const file of gen) {
      if (out.length >= n) return out;
      try {
        if ((await stat(file)).size > 2_000_000) continue;
        let buf = await readFile(file);
        if (file.endsWith('.gz')) buf = gunzipSync(buf);
        const text = prose(buf.toString('utf8'));
        for (const [i, p] of pieces(text, size).entries()) {
          if (out.length >= n) break;
          const key = p.body.slice(0, 200);
          if (seen.has(key)) continue;
          seen.add(key);
          const k = out.length;
          const date = new Date(Date.UTC(2020, 0, 1) + k * 86_400_000).toISOString().slice(0, 10);
          out.push(makeArticle({ title: p.title.slice(0, 200), url: `https://distractors.example/${k}`, date, text: p.body }, `${file}#${i}`));
        }
      } catch {
        // unreadable or not text: skip it, there is plenty more
      }
    }
  }
  return out;
}

/**
 * A unit vector that depends only on `seed`: the same synthetic index on every run. For benches
 * that measure the store, not the model (what a write or an open costs does not depend on what
 * the vectors say).
 */
export function syntheticVector(seed: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  let h = createHash('sha256').update(seed).digest();
  for (let i = 0; i < dims; i++) {
    if (i % 32 === 0 && i) h = createHash('sha256').update(h).digest();
    v[i] = h[i % 32] / 255 - 0.5;
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
