/**
 * A small local server that speaks OpenAI's chat-completions protocol (JSON and SSE streaming)
 * with scripted replies. No generative model can be installed on this machine (DESIGN.md: no
 * model downloads), so the real counterpart, Ollama, llama-server or vLLM, cannot run in the
 * tests; this stands in for it on the wire, and our code talks to it through the real `openai`
 * client exactly as it would to a real server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reply =
  /** An answer, sent as JSON or, when the request asks to stream, as SSE in the given pieces. */
  | { kind: 'answer'; text: string; pieces?: string[] }
  /** Headers and then nothing, ever. */
  | { kind: 'hang' }
  /** An HTTP error with an OpenAI-style error body. */
  | { kind: 'status'; status: number }
  /** Streams `pieces`, then drops the connection without a finish_reason. */
  | { kind: 'cut'; pieces: string[] }
  /** A stream whose event data is not JSON. */
  | { kind: 'malformed' };

export interface Seen {
  body: any;
  /** Resolves when the client closed the connection (a cancelled call). */
  closed: Promise<void>;
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model: 'scripted', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** Words with their trailing space: the way model servers tend to stream. */
export const pieces = (text: string) => text.match(/\S+\s*|\s+/g) ?? [];

export async function startLlmServer() {
  let reply: Reply = { kind: 'answer', text: 'The articles do not answer this.' };
  const requests: Seen[] = [];
  const open = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const part of req) raw += part;
    const body = JSON.parse(raw || '{}');
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    requests.push({ body, closed });
    open.add(res);
    res.once('close', () => open.delete(res));
    const r = reply;
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    if (r.kind === 'status') {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
    }
    if (r.kind === 'hang') return void res.flushHeaders();
    if (!body.stream && r.kind === 'answer') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          id: 'chatcmpl-test',
          object: 'chat.completion',
          created: 0,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (r.kind === 'malformed') return void res.end('data: {"choices": [{"delta": {"content": "Dong\n\n');
    res.write(chunk({ role: 'assistant', content: '' }));
    const list = r.kind === 'cut' ? r.pieces : (r.pieces ?? pieces(r.text));
    for (const p of list) {
      res.write(chunk({ content: p }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (r.kind === 'cut') return void res.socket?.destroy();
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    /** The reply every following request gets. */
    script(next: Reply) {
      reply = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
