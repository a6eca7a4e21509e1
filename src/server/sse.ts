/**
 * Server-Sent Events on an express response, written once for every stream (`/api/chat/stream`
 * and `/v1/chat/completions` with `stream: true`).
 */
import type { Response } from 'express';

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * A writer of events on `res`: `event(name, data)` writes a named event, `data(data)` an unnamed
 * one (OpenAI's chunks); data is JSON unless it is a string. The status and headers go out with
 * the first event, so a request that fails before it (queue full, time limit, store down) still
 * gets a plain JSON error with its HTTP status. A slow reader makes the write wait
 * (back-pressure) rather than buffer the whole answer; once the client is gone it does nothing.
 * @example const sse = eventStream(res); await sse.event('delta', { text: 'Hi' }); await sse.data('[DONE]');
 */
export function eventStream(res: Response) {
  const write = async (frame: string): Promise<void> => {
    if (res.writableEnded || res.destroyed) return;
    if (!res.headersSent) res.status(200).set(SSE_HEADERS);
    if (!res.write(frame))
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
  };
  const line = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  return {
    event: (name: string, data: unknown) => write(`event: ${name}\n${line(data)}`),
    data: (data: unknown) => write(line(data)),
  };
}

/** "Andrei Belousov. “Russian …" → ["Andrei ", "Belousov. ", "“Russian ", …]; joined they give the input back. */
export function wordPieces(text: string): string[] {
  return text.match(/\s*\S+\s*/gy) ?? (text ? [text] : []);
}
