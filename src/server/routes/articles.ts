/**
 * The live article API: add (JSON or one uploaded file), list, read and delete articles. A
 * change is searchable and saved when the request returns; writes are serialised by the store.
 *
 * Mounted before the app-wide JSON parser so that an article body may be as large as an
 * upload (MAX_UPLOAD_BYTES) rather than a chat request (BODY_LIMIT), and so that a write is
 * authorised before its body is read.
 */
import express, { Router, type RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { Archive } from '../../archive.js';
import type { Config } from '../../config.js';
import { apiArticle, apiArticlesFromFile } from '../../corpus/api.js';
import { FORMATS } from '../../corpus/load.js';
import { AppError } from '../../errors.js';
import { sameSecret } from '../middleware/auth.js';
import { allowedHosts, splitHost } from '../middleware/hostCheck.js';
import { parse } from '../schemas.js';

export type ArticlesConfig = Pick<Config, 'host' | 'adminToken' | 'maxUploadBytes'> & Partial<Pick<Config, 'allowedHosts'>>;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

const pageSchema = z.object({
  offset: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
});


/**
 * True when a browser says the request comes from a page that is not this server's: its Origin
 * names a host outside `allowed` or another port (`localhost` and `127.0.0.1` on the same port
 * count as the same site), or, without an Origin, Sec-Fetch-Site says cross-site.
 */
export function fromAnotherSite(
  fetchSite: string | undefined,
  origin: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string> | '*' = '*',
): boolean {
  if (!origin) return fetchSite === 'cross-site' || fetchSite === 'same-site';
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return true; // "null" (sandboxed or file:// pages) or garbage
  }
  if (from.protocol !== 'http:' && from.protocol !== 'https:') return true;
  const self = splitHost(host);
  const page = splitHost(from.host, from.protocol === 'https:' ? '443' : '80');
  if (!self || !page || page.port !== self.port) return true;
  return allowed === '*' ? page.name !== self.name : !allowed.has(page.name);
}

/**
 * Writes need the admin token when one is set. Without one they are allowed only when the
 * server listens on loopback, where the only callers are on this machine — and not from a web
 * page of another site, which a browser would let post a form to 127.0.0.1 without asking.
 */
export function requireWriter(config: ArticlesConfig, hosts = allowedHosts(config)): RequestHandler {
  return (req, _res, next) => {
    if (!config.adminToken && fromAnotherSite(req.get('sec-fetch-site'), req.get('origin'), req.get('host'), hosts)) {
      throw new AppError('forbidden', 'articles: writes from another site\'s page are refused; call the API directly or set ADMIN_TOKEN');
    }
    if (config.adminToken) {
      const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
      if (!m || !sameSecret(m[1].trim(), config.adminToken)) {
        throw new AppError('unauthorized', 'articles: send the admin token as "Authorization: Bearer <ADMIN_TOKEN>" to change articles');
      }
    } else if (!LOOPBACK.test(config.host)) {
      throw new AppError(
        'forbidden',
        `articles: writes are disabled because the server listens on ${config.host} without ADMIN_TOKEN; set ADMIN_TOKEN (and send it as a Bearer token) or listen on 127.0.0.1`,
      );
    }
    next();
  };
}

/** multer's errors become ours, so the one error handler answers them like everything else. */
function upload(config: ArticlesConfig): RequestHandler {
  const single = multer({ storage: multer.memoryStorage(), limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10 } }).single('file');
  return (req, res, next) =>
    single(req, res, (err: unknown) => {
      if (!err) return next();
      const e = err as { code?: string; message?: string; field?: string };
      if (e.code === 'LIMIT_FILE_SIZE') return next(new AppError('payload_too_large', `articles: the file is larger than the limit of ${config.maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`));
      if (e.code === 'LIMIT_UNEXPECTED_FILE') return next(new AppError('bad_request', `articles: upload one file in the form field "file" (got "${e.field}")`));
      if (e.code?.startsWith('LIMIT_')) return next(new AppError('bad_request', `articles: ${e.message}`));
      next(new AppError('bad_request', `articles: the multipart upload could not be read (${e.message ?? 'malformed'})`));
    });
}

export function articleRoutes(deps: { archive: Archive; config: ArticlesConfig; hosts?: ReadonlySet<string> | '*' }) {
  const { archive, config } = deps;
  const router = Router();
  const writer = requireWriter(config, deps.hosts);
  const json = express.json({ limit: config.maxUploadBytes });

  router.post('/api/articles', writer, json, upload(config), async (req, res) => {
    let articles;
    if (req.is('multipart/form-data')) {
      const file = req.file;
      if (!file) throw new AppError('bad_request', `articles: the upload has no file; send one ${FORMATS.join('/')} file in the form field "file"`);
      articles = apiArticlesFromFile(file.originalname, file.buffer);
      if (!articles.length) throw new AppError('bad_request', `articles: ${file.originalname} holds no articles`);
    } else if (req.is('application/json')) {
      articles = [apiArticle(parse(z.unknown(), req.body, 'articles'))];
    } else {
      throw new AppError('unsupported_media_type', 'articles: send JSON {title, url?, date?, text} (Content-Type: application/json) or one file as multipart/form-data in the field "file"');
    }
    const results = await archive.put(articles);
    res.status(results.some((r) => r.status !== 'unchanged') ? 201 : 200).json({ articles: results });
  });

  router.get('/api/articles', async (req, res) => {
    const { offset, limit } = parse(pageSchema, req.query, 'articles');
    const { total, items } = await archive.store.listArticles({ offset, limit });
    res.json({
      total,
      offset,
      limit,
      items: items.map((a) => ({ id: a.id, title: a.title, date: a.date ?? null, url: a.url ?? null, source: a.source, chunks: a.chunks })),
    });
  });

  router.get('/api/articles/:id', async (req, res) => {
    const id = String(req.params.id);
    const article = await archive.store.getArticle(id);
    if (!article) throw new AppError('not_found', `articles: no article with id "${id}"`);
    const { hash: _hash, ...rest } = article;
    res.json({ ...rest, date: article.date ?? null, url: article.url ?? null });
  });

  router.delete('/api/articles/:id', writer, async (req, res) => {
    const id = String(req.params.id);
    await archive.remove(id);
    res.json({ id, status: 'removed' });
  });

  return router;
}
