/**
 * The archive as an MCP tool server (official @modelcontextprotocol/sdk): `ask`, `search_articles`,
 * `get_article`, `list_articles`. Built here once and served over stdio (`npm run mcp`, see
 * stdio.ts) and Streamable HTTP (`/mcp`, see server/routes/mcp.ts).
 *
 * Everything goes through `archive`, so a tool's answer and its errors are the HTTP API's: an
 * AppError's message comes back as the tool error's text. Arguments are checked by the schemas
 * below before a tool runs; a bad one is a tool error (`isError: true`) and the server keeps serving.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Archive } from '../archive.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { asOf, boundedText, filterFields, historySchema, toFilter } from '../present/input.js';
import { answerFields, articleItem, articleJson } from '../present/output.js';
import { createQueue } from '../queue.js';

export type McpLimits = Pick<Config, 'maxQuestionChars' | 'maxHistoryTurns' | 'topK'>;

const { since, until } = filterFields;

/** A tool's result: readable JSON for the model, the same object as structured content for programs. */
const result = (value: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
  structuredContent: value,
});

/**
 * Runs a tool body. AppErrors keep their message (the HTTP API's); anything else is logged and
 * reported as "internal error", so no path or stack frame reaches the client.
 */
async function run(logger: Logger, body: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    return result(await body());
  } catch (e) {
    if (!(e instanceof AppError) || e.code === 'internal') logger.error({ err: e }, 'mcp: tool failed');
    return { content: [{ type: 'text', text: e instanceof AppError ? e.message : 'internal error' }], isError: true };
  }
}

/**
 * @param deps.archive the archive, or the promise of one (stdio answers `initialize` while the model loads).
 * @example const server = createMcpServer({ archive, limits: config, logger }); await server.connect(transport);
 */
export function createMcpServer(deps: { archive: Archive | Promise<Archive>; limits: McpLimits; logger: Logger }): McpServer {
  const { limits, logger: log } = deps;
  const server = new McpServer({ name: 'archivist', version: '0.1.0' });
  const text = boundedText;
  // One client's asks (a JSON-RPC batch holds many) take their turn in the shared queue one at a
  // time, so one batch cannot fill the line every user waits in.
  const turns = createQueue({ concurrency: 1, limit: Number.MAX_SAFE_INTEGER });

  server.registerTool(
    'ask',
    {
      title: 'Ask the news archive',
      description:
        'Answers a question from the archived news articles with word-for-word quotes. Returns `answer` (with [n] markers), ' +
        '`found` (false when the articles do not hold the answer: then say so, do not guess), `short` (a name, date or number when one answers it), ' +
        'and `quotes`: each the exact text of an article at [start, end) with articleId, title, date and url. Pass earlier turns as `history` for follow-ups.',
      inputSchema: {
        question: text(limits.maxQuestionChars).describe('The question, in plain words.'),
        history: historySchema(limits)
          .optional()
          .describe('Earlier turns of the conversation, oldest first, for follow-up questions such as "When did he arrive?".'),
        asOf: asOf.optional(),
        ...filterFields,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ question, history, asOf, ...filter }, { signal }) =>
      run(log, async () => {
        const archive = await deps.archive;
        // `signal` aborts when the client cancels the call or the transport closes (the client left).
        const r = await turns.run(() => archive.ask({ question, history, asOf, filter: toFilter(filter), signal }), signal);
        return { answer: r.answer, ...answerFields(r) };
      }),
  );

  server.registerTool(
    'search_articles',
    {
      title: 'Search the news archive',
      description:
        'Finds the passages most relevant to a query (meaning and keywords combined), best first, without composing an answer. ' +
        'Each passage has articleId, title, date, url, its exact text, its [start, end) offsets in the article and a score.',
      inputSchema: {
        query: text(limits.maxQuestionChars).describe('What to look for.'),
        k: z
          .number()
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(50, 'must be at most 50')
          .optional()
          .describe(`How many passages (default ${limits.topK}).`),
        ...filterFields,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, k, ...filter }) =>
      run(log, async () => {
        return { passages: await (await deps.archive).search(query, { k, filter: toFilter(filter) }) };
      }),
  );

  server.registerTool(
    'get_article',
    {
      title: 'Read an article',
      description:
        'Returns one article by id (from a quote, passage or list_articles): title, date, url and its text, or the part [start, end) of it. ' +
        "`length` is the whole text's length in characters.",
      inputSchema: {
        id: text(500).describe('The article id.'),
        start: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional().describe('First character to return (default 0).'),
        end: z
          .number()
          .int('must be a whole number')
          .min(0, 'must be 0 or more')
          .optional()
          .describe('Character after the last one to return (default: the end).'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id, start = 0, end }) =>
      run(log, async () => {
        const article = await (await deps.archive).get(id);
        const length = article.text.length;
        const stop = Math.min(end ?? length, length);
        if (start > stop)
          throw new AppError('bad_request', `get_article: start (${start}) must not be past end (${stop}); the article is ${length} characters long`);
        return { ...articleJson(article), length, start, end: stop, text: article.text.slice(start, stop) };
      }),
  );

  server.registerTool(
    'list_articles',
    {
      title: 'List the archived articles',
      description: 'Lists articles, newest first, a page at a time: total, and items with id, title, date, url, source and chunk count. Optional date range.',
      inputSchema: {
        offset: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional().describe('Articles to skip (default 0).'),
        limit: z
          .number()
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(100, 'must be at most 100')
          .optional()
          .describe('Articles per page (default 20).'),
        since,
        until,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ offset = 0, limit = 20, ...filter }) =>
      run(log, async () => {
        const { total, items } = await (await deps.archive).list({ offset, limit, filter: toFilter(filter) });
        return { total, offset, limit, items: items.map(articleItem) };
      }),
  );

  return server;
}
