/**
 * POST /mcp: the MCP tool server (src/mcp/server.ts) over Streamable HTTP, on the running server
 * and under its rules (API_TOKEN, rate limit, time limit, body limit).
 *
 * Stateless: each POST gets a fresh server and transport, as the SDK recommends for servers that
 * keep no per-client state; so any replica can answer any request and nothing leaks between
 * clients. Without sessions there is no server-to-client stream, so GET and DELETE answer 405.
 *
 * A JSON-RPC batch is as many requests as it holds calls: each is counted by the rate limit, its
 * asks wait for the shared queue one at a time (mcp/server.ts), and when the client goes away the
 * transport closes, which aborts every call still waiting or running.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Router } from 'express';
import type { Archive } from '../../archive.js';
import type { Logger } from '../../log.js';
import { createMcpServer, type McpLimits } from '../../mcp/server.js';
import { countMore } from '../middleware/rateLimit.js';

/** The calls in a body: JSON-RPC requests (with an id), not notifications. */
const calls = (body: unknown) => (Array.isArray(body) ? body : [body]).filter((m) => m && typeof m === 'object' && 'method' in m && 'id' in m).length;

export function mcpRoutes(deps: { archive: Archive; limits: McpLimits; logger: Logger }) {
  const router = Router();
  router.post('/mcp', async (req, res) => {
    await countMore(req, calls(req.body) - 1);
    const server = createMcpServer({ archive: deps.archive, limits: deps.limits, logger: deps.logger });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  router.all('/mcp', (_req, res) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'mcp: this server is stateless; send JSON-RPC requests with POST' }, id: null });
  });
  return router;
}
