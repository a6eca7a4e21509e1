/**
 * Errors never carry file paths or stack frames. Every response body the e2e tests read passes
 * through `assertNoLeak`: `fetch` is wrapped for the whole suite (tests/setup.ts), and the raw
 * HTTP helper and `postJson` call it too. A leak fails the test that received it.
 */
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
/** Index folders of the tests all live here (tests/helpers.ts `tempDir`). */
const TEMP_INDEX = `${tmpdir().replace(/\/$/, '')}/archivist-`;
/** A V8 stack frame: `at fn (/path/file.ts:12:3)`, `at file:///x.js:1:2`, `at node:internal/…:1:2`. */
const STACK_FRAME = /\bat (?:async )?(?:[\w$.<>[\] ]+ \()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/;

/** Throws when `body` holds an index path, a source path of this repository or a stack frame. */
export function assertNoLeak(body: string, where = 'response'): void {
  const found = body.includes(TEMP_INDEX)
    ? 'an index folder path'
    : body.includes(`${REPO}/`)
      ? 'a source path'
      : STACK_FRAME.test(body)
        ? 'a stack frame'
        : undefined;
  if (found) throw new Error(`${where} body carries ${found}: ${body.slice(0, 300)}`);
}

/** Wraps global fetch so every response body read in a test is checked first (event streams excepted). */
export function guardFetch(): void {
  const original = globalThis.fetch;
  if ((original as { guarded?: boolean }).guarded) return;
  const guarded = async (...args: Parameters<typeof fetch>) => {
    const res = await original(...args);
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      assertNoLeak(await res.clone().text(), `${init(args)} ${res.url}`);
    }
    return res;
  };
  Object.assign(guarded, { guarded: true });
  globalThis.fetch = guarded as typeof fetch;
}

const init = (args: Parameters<typeof fetch>) => (args[1]?.method ?? 'GET').toUpperCase();
