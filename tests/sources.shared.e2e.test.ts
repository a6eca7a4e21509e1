/**
 * Sources live in the article log: two real server processes on one INDEX_DIR adding sources at
 * once both keep every acknowledged add, and neither answers 500; a `sources-state.json` of the
 * previous layout is imported once.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive } from '../src/boot.js';
import { openSources } from '../src/sources/service.js';
import { sourceId } from '../src/sources/registry.js';
import { emptyState, STATE_FILE } from '../src/sources/state.js';
import { postJson, quiet, serverProcess, tempDir, testConfig } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('archivist-sources-');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('sources in the durable store', () => {
  it('two servers on one folder adding sources at once: every acknowledged add is listed by both', async () => {
    const index = join(root, 'shared');
    const first = await serverProcess(index);
    const second = await serverProcess(index);
    try {
      const servers = [first.url, second.url];
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => postJson(`${servers[i % 2]}/api/sources`, { url: `https://news${i}.example/feed.xml` })),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
      const ids = results.map((r) => r.json.source.id as string);
      for (const url of servers) {
        const list = await fetch(`${url}/api/sources`).then((r) => r.json());
        expect(list.sources.map((s: { id: string }) => s.id).sort()).toEqual([...ids].sort());
      }
      // The same url added through both at once is one source, created once.
      const same = await Promise.all(servers.map((u) => postJson(`${u}/api/sources`, { url: 'https://same.example/feed.xml' })));
      expect(same.map((r) => r.status).sort()).toEqual([200, 201]);
      expect((await readdir(index)).filter((f) => f.startsWith(STATE_FILE))).toEqual([]);
    } finally {
      first.child.kill('SIGTERM');
      second.child.kill('SIGTERM');
      await Promise.all([first.child, second.child].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    }
  }, 180_000);

  it('imports a sources-state.json of the previous layout once, and keeps its sources after it is set aside', async () => {
    const config = testConfig(join(root, 'legacy'));
    const archive = await bootArchive(config, quiet);
    try {
      const url = 'https://legacy.example/rss';
      const id = sourceId(url);
      const def = { id, url, kind: 'feed', interval: '1h' };
      const state = { ...emptyState(), seen: { 'entry-1': 'article-1' }, added: 1 };
      await writeFile(join(config.indexDir, STATE_FILE), JSON.stringify({ version: 1, sources: { [id]: { def, state } } }));
      const opened = await openSources(config, archive);
      expect(opened.registry.get(id)?.record.state.seen).toEqual({ 'entry-1': 'article-1' });
      await opened.close();
      expect(await readdir(config.indexDir)).toContain(`${STATE_FILE}.imported`);
      const again = await openSources(config, archive);
      expect(again.registry.get(id)?.def.url).toBe(url);
      await again.close();
    } finally {
      await archive.close();
    }
  });
});
