/** The leak check every e2e response passes through must itself catch what it is for. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertNoLeak } from './noLeak.js';

describe('assertNoLeak', () => {
  it.each([
    ['an index path', JSON.stringify({ error: { message: `store: ENOTEMPTY rename '${join(tmpdir(), 'archivist-test-x1', '.gen-000006.tmp-16192')}'` } })],
    ['a stack frame', 'Error: boom\n    at handler (/srv/app/src/server/routes/chat.ts:41:11)'],
    ['a file URL frame', 'TypeError: x\n    at file:///srv/app/src/main.ts:10:5'],
    ['a source path of this repository', JSON.stringify({ message: `cannot read ${join(process.cwd(), 'src', 'config.ts')}` })],
  ])('refuses a body with %s', (_name, body) => {
    expect(() => assertNoLeak(body)).toThrow(/carries/);
  });

  it.each([
    JSON.stringify({ error: { code: 'store_unavailable', message: 'store: the article log cannot be opened (SQLITE_CORRUPT); it is left as it is' } }),
    'The minister arrived at 10:30 at the airport.',
  ])('lets a plain body pass: %s', (body) => {
    expect(() => assertNoLeak(body)).not.toThrow();
  });
});
