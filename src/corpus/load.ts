/**
 * Turns files into Articles, choosing the parser by extension. A file that cannot be read is
 * reported with its reason and the rest still load.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { AppError } from '../errors.js';
import { makeArticle, type Article } from './article.js';
import { parseHtml } from './html.js';
import { parseJson, parseJsonl } from './json.js';
import { parseMarkdown } from './markdown.js';
import { parseText } from './text.js';

/**
 * Every corpus format, one row each: extension → parser of the decoded text into raw records.
 * The loader, its error message and the upload route's hint all derive from this table.
 */
const PARSERS: Record<string, (content: string) => unknown[]> = {
  '.txt': (c) => [parseText(c)],
  '.md': (c) => [parseMarkdown(c)],
  '.markdown': (c) => [parseMarkdown(c)],
  '.html': (c) => [parseHtml(c)],
  '.htm': (c) => [parseHtml(c)],
  '.json': parseJson,
  '.jsonl': parseJsonl,
};

/** The extensions the loader reads, e.g. for an error message. */
export const FORMATS: readonly string[] = Object.keys(PARSERS);

/** Decodes bytes as UTF-8, refusing binary content instead of storing mojibake. */
export function decodeUtf8(bytes: Uint8Array, name: string): string {
  if (bytes.includes(0)) throw new AppError('bad_request', `${name}: looks binary (contains NUL bytes); send UTF-8 text`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new AppError('bad_request', `${name}: is not valid UTF-8; convert it to UTF-8 text`);
  }
}

/**
 * Parses one file's bytes into raw records (not yet validated), choosing the parser by extension.
 * @throws AppError 400 for binary, non-UTF-8 or malformed content, 415 for an unknown extension.
 */
export function parseRecords(name: string, bytes: Uint8Array): unknown[] {
  const ext = extname(name).toLowerCase();
  const parse = Object.hasOwn(PARSERS, ext) ? PARSERS[ext] : undefined;
  if (!parse) throw new AppError('unsupported_media_type', `${name}: unknown format "${ext || '(none)'}"; must be one of ${FORMATS.join(', ')}`);
  return parse(decodeUtf8(bytes, name));
}

/**
 * Parses one file's bytes into articles.
 * @param source the path relative to the corpus root (it becomes the id when there is no url)
 * @example parseFile('a.md', bytes, 'a.md') // [{ id, title, text, ... }]
 */
export function parseFile(name: string, bytes: Uint8Array, source = name): Article[] {
  const records = parseRecords(name, bytes);
  // Records without a url need distinct sources, or they would all get the file's id.
  return records.map((r, i) => makeArticle(r, records.length > 1 ? `${source}#${i}` : source));
}

export interface LoadResult {
  articles: Article[];
  skipped: { file: string; reason: string }[];
  duplicates: { source: string; sameAs: string }[];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Loads every supported file under `dir`. The same article under two names (same id, or same
 * content) is kept once and reported as a duplicate.
 */
export async function loadCorpus(dir: string): Promise<LoadResult> {
  const result: LoadResult = { articles: [], skipped: [], duplicates: [] };
  const byId = new Map<string, Article>();
  const byHash = new Map<string, Article>();
  for (const file of await walk(dir)) {
    const rel = relative(dir, file).split('\\').join('/');
    if (!FORMATS.includes(extname(file).toLowerCase())) {
      result.skipped.push({ file: rel, reason: `unknown format; must be one of ${FORMATS.join(', ')}` });
      continue;
    }
    try {
      for (const article of parseFile(rel, await readFile(file), rel)) {
        const same = byId.get(article.id) ?? byHash.get(article.hash);
        if (same) {
          result.duplicates.push({ source: article.source, sameAs: same.source });
          continue;
        }
        byId.set(article.id, article);
        byHash.set(article.hash, article);
        result.articles.push(article);
      }
    } catch (e) {
      result.skipped.push({ file: rel, reason: (e as Error).message });
    }
  }
  return result;
}
