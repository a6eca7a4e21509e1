// @ts-check
// Reads Server-Sent Events off a fetch response body. Hand-written rather than EventSource
// because EventSource can only GET, and the chat stream is a POST with a JSON body.

/** @typedef {{ event: string, data: any }} ServerEvent */

/**
 * Yields each event of a `text/event-stream` body: `event:` names it (default "message"),
 * `data:` lines are joined by newlines and parsed as JSON; comments and blocks without data are
 * skipped. CRLF and CR line ends are read as LF, and blocks may arrive split across chunks.
 * @param {ReadableStream<Uint8Array<ArrayBuffer>>} body the response body
 * @returns {AsyncGenerator<ServerEvent>}
 */
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let held = '';
  for (;;) {
    const { value, done } = await reader.read();
    // A CR at the end of a read may be the first half of a CRLF: hold it until the next read.
    const next = done ? held : held + value;
    held = !done && next.endsWith('\r') ? '\r' : '';
    buffer += (held ? next.slice(0, -1) : next).replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const parsed = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (parsed) yield parsed;
    }
    if (done) return; // an unfinished block at the end is dropped, as EventSource does
  }
}

/**
 * One event block (the lines between blank lines), or null when it carries no data.
 * @param {string} block
 * @returns {ServerEvent | null}
 */
function parseBlock(block) {
  let event = 'message';
  /** @type {string[]} */
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length ? { event, data: JSON.parse(data.join('\n')) } : null;
}
