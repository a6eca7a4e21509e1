/**
 * The live article API at /api/articles: list and read (`articleReads`), add (JSON or one
 * uploaded file) and delete (`articleWrites`). A change is searchable and saved when the request
 * returns; writes are serialised by the store.
 *
 * The writes are mounted behind the writer guard and before the app-wide JSON parser
 * (server/app.ts), so that a write is authorised before its body is read and an article body may
 * be as large as an upload (MAX_UPLOAD_BYTES) rather than a chat request (BODY_LIMIT).
 */
import express, { Router, type RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { Archive } from '../../archive.js';
import type { Config } from '../../config.js';
import { apiArticle, apiArticlesFromFile } from '../../corpus/api.js';
import { FORMATS } from '../../corpus/load.js';
import { AppError } from '../../errors.js';
import { articleItem, articleJson } from '../../present/output.js';
import { parse } from '../schemas.js';

export type ArticlesConfig = Pick<Config, 'maxUploadBytes'>;

const pageSchema = z.object({
  offset: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
});

/** multer's errors become ours, so the one error handler answers them like everything else. */
function upload(config: ArticlesConfig): RequestHandler {
  const single = multer({ storage: multer.memoryStorage(), limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10 } }).single('file');
  return (req, res, next) =>
    single(req, res, (err: unknown) => {
      if (!err) return next();
      const e = err as { code?: string; message?: string; field?: string };
      if (e.code === 'LIMIT_FILE_SIZE')
        return next(new AppError('payload_too_large', `articles: the file is larger than the limit of ${config.maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`));
      if (e.code === 'LIMIT_UNEXPECTED_FILE') return next(new AppError('bad_request', `articles: upload one file in the form field "file" (got "${e.field}")`));
      if (e.code?.startsWith('LIMIT_')) return next(new AppError('bad_request', `articles: ${e.message}`));
      next(new AppError('bad_request', `articles: the multipart upload could not be read (${e.message ?? 'malformed'})`));
    });
}

/** POST / and DELETE /:id, for mounting at /api/articles behind the writer guard. */
export function articleWrites(deps: { archive: Archive; config: ArticlesConfig }) {
  const { archive, config } = deps;
  const router = Router();
  const json = express.json({ limit: config.maxUploadBytes });

  router.post('/', json, upload(config), async (req, res) => {
    let articles;
    if (req.is('multipart/form-data')) {
      const file = req.file;
      if (!file) throw new AppError('bad_request', `articles: the upload has no file; send one ${FORMATS.join('/')} file in the form field "file"`);
      articles = apiArticlesFromFile(file.originalname, file.buffer);
      if (!articles.length) throw new AppError('bad_request', `articles: ${file.originalname} holds no articles`);
    } else if (req.is('application/json')) {
      articles = [apiArticle(parse(z.unknown(), req.body, 'articles'))];
    } else {
      throw new AppError(
        'unsupported_media_type',
        'articles: send JSON {title, url?, date?, text} (Content-Type: application/json) or one file as multipart/form-data in the field "file"',
      );
    }
    const results = await archive.put(articles);
    res.status(results.some((r) => r.status !== 'unchanged') ? 201 : 200).json({ articles: results });
  });

  router.delete('/:id', async (req, res) => {
    const id = String(req.params.id);
    await archive.remove(id);
    res.json({ id, status: 'removed' });
  });

  return router;
}

/** GET / and GET /:id, for mounting at /api/articles behind the reader guard. */
export function articleReads(deps: { archive: Archive }) {
  const { archive } = deps;
  const router = Router();

  router.get('/', async (req, res) => {
    const { offset, limit } = parse(pageSchema, req.query, 'articles');
    const { total, items } = await archive.list({ offset, limit });
    res.json({
      total,
      offset,
      limit,
      items: items.map(articleItem),
    });
  });

  router.get('/:id', async (req, res) => {
    const id = String(req.params.id);
    const article = await archive.get(id);
    if (!article) throw new AppError('not_found', `articles: no article with id "${id}"`);
    res.json(articleJson(article));
  });

  return router;
}
