/**
 * The page's Server-Sent Events reader (src/web/sse.js) on streams built in memory: no browser,
 * no server. The chunks are split where a network may split them.
 */
import { describe, expect, it } from 'vitest';
import { readEvents } from '../src/web/sse.js';

/** A body that delivers `chunks` one read at a time, as UTF-8 bytes. */
function body(chunks: (string | Uint8Array<ArrayBuffer>)[]) {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? enc.encode(c) : c);
      controller.close();
    },
  });
}

const all = async (chunks: (string | Uint8Array<ArrayBuffer>)[]) => {
  const out = [];
  for await (const e of readEvents(body(chunks))) out.push(e);
  return out;
};

describe('readEvents', () => {
  it('reads named events with JSON data, and "message" when unnamed', async () => {
    expect(await all(['event: sources\ndata: {"passages":[]}\n\ndata: {"x":1}\n\n'])).toEqual([
      { event: 'sources', data: { passages: [] } },
      { event: 'message', data: { x: 1 } },
    ]);
  });

  it('joins an event split across reads at any point', async () => {
    const text = 'event: delta\ndata: {"text":"Belousov"}\n\nevent: done\ndata: {"timings":{"totalMs":5}}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(await all([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: 'delta', data: { text: 'Belousov' } },
        { event: 'done', data: { timings: { totalMs: 5 } } },
      ]);
    }
  });

  it('reads CRLF and CR line ends, also with a CRLF split between reads', async () => {
    expect(await all(['event: a\r\ndata: 1\r', '\n\r', '\nevent: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: 1 },
      { event: 'b', data: 2 },
    ]);
  });

  it('joins multi-line data with newlines and keeps a multi-byte character split between reads', async () => {
    const bytes = new TextEncoder().encode('data: {"text":\ndata: "Zürich — ok"}\n\n');
    const at = bytes.indexOf(0xc3) + 1; // inside the two bytes of "ü"
    expect(await all([bytes.slice(0, at), bytes.slice(at)])).toEqual([{ event: 'message', data: { text: 'Zürich — ok' } }]);
  });

  it('skips comments and blocks without data, and drops an unfinished block at the end', async () => {
    expect(await all([': keep-alive\n\nevent: ping\n\ndata: "kept"\n\ndata: "cut off"\n'])).toEqual([{ event: 'message', data: 'kept' }]);
  });

  it('throws on data that is not JSON, rather than yielding garbage', async () => {
    await expect(all(['data: {not json\n\n'])).rejects.toThrow(SyntaxError);
  });
});
