/**
 * Never lose an acknowledged article, on the real model, real files and real server processes:
 * a folder that is not ours is refused untouched; damaged snapshots and a damaged log record are
 * found, reported and survived; an index of the previous format is imported; two servers on one
 * INDEX_DIR and `npm run ingest` beside them lose no write that got a 201.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import hnswlib from 'hnswlib-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchive } from '../src/archive.js';
import { archiveOptions, bootArchive, openStore, syncFolder } from '../src/boot.js';
import { apiArticle } from '../src/corpus/api.js';
import { createEmbedder, type Embedder } from '../src/embed.js';
import { AppError } from '../src/errors.js';
import { buildRecords } from '../src/ingest/ingest.js';
import { createLogger } from '../src/log.js';
import { LocalStore } from '../src/store/local.js';
import { postJson, quiet, REPO, SEEDS, tempDir, testConfig } from './helpers.js';

const API_ARTICLES = [
  {
    title: 'Island ferry gets a new captain',
    text: 'Greta Solberg, who served as first mate for eleven years, took command of the Hallin island ferry on Sunday.',
  },
  {
    title: 'Observatory finds a comet',
    text: 'Astronomers at the Kestrel Ridge observatory reported a new comet on Tuesday, named after the night assistant Tomas Brandvik.',
  },
  { title: 'Bakery wins regional prize', text: 'The Ostmark rye bakery of Lena Havik won the regional bread prize for its sourdough loaf in November.' },
];
const QUESTIONS = [
  'Who took command of the Hallin island ferry?',
  'What did the Kestrel Ridge observatory report?',
  'Which bakery won the regional bread prize?',
];

let root: string;
let embedder: Embedder;
beforeAll(async () => {
  root = await tempDir('archivist-durability-');
  embedder = await createEmbedder(testConfig(root));
}, 120_000);
afterAll(async () => rm(root, { recursive: true, force: true }));

/** Every file under `dir` with a hash of its bytes: the folder as it is, to compare later. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    out[relative(dir, p)] = e.isFile()
      ? createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
      : 'dir';
  }
  return out;
}

const boot = async (index: string, lines: string[] = []) => {
  const config = testConfig(index, { SNAPSHOT_DELAY_MS: '0' });
  // The messages it logs, as lines.
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line).msg) });
  const store = await openStore(config, log);
  await syncFolder({ store, embedder, config, dir: SEEDS, log });
  return { ...createArchive({ store, embedder, options: archiveOptions(config) }), store };
};

/** The top quote for each question, or undefined when it was not found. */
const answers = async (archive: Awaited<ReturnType<typeof boot>>) =>
  Promise.all(QUESTIONS.map(async (q) => (await archive.ask({ question: q })).quotes[0]?.title));

describe('a folder that is not an Archivist index', () => {
  it.each([
    ['foreign files and a garbage CURRENT', { 'my-notes.txt': 'shopping list', 'photos/cat.jpg': 'not really a jpeg', CURRENT: 'garbage\n' }],
    ['foreign files alone', { 'my-notes.txt': 'shopping list', 'photos/cat.jpg': 'jpeg' }],
    ['a previous-format index whose CURRENT names nothing', { CURRENT: 'garbage\n', 'gen-000003/manifest.json': '{}' }],
    ['foreign files beside a .gitkeep', { '.gitkeep': '', 'my-notes.txt': 'shopping list' }],
    ['a .gitkeep that is not empty', { '.gitkeep': 'my notes, kept here' }],
  ])(
    'is refused at start with a clear message, every file still there: %s',
    async (_name, files) => {
      const index = join(root, `foreign-${Math.random().toString(36).slice(2)}`);
      for (const [name, text] of Object.entries(files)) {
        await mkdir(join(index, name, '..'), { recursive: true });
        await writeFile(join(index, name), text);
      }
      const before = await tree(index);
      const err = await bootArchive(testConfig(index), quiet).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('store_unavailable');
      expect(err.message).toMatch(/^store: .*nothing was changed/);
      expect(err.message).not.toContain(index);
      expect(await tree(index)).toEqual(before);
    },
    120_000,
  );
});

describe('a folder kept in version control by an empty .gitkeep (as the repository keeps index/)', () => {
  it('is a new index: it is built from SEEDS_DIR, answers, and the .gitkeep is still there', async () => {
    const index = join(root, 'gitkeep');
    await mkdir(index, { recursive: true });
    await writeFile(join(index, '.gitkeep'), '');
    const archive = await bootArchive(testConfig(index), quiet);
    try {
      expect((await archive.ask({ question: 'Who is the Russian defense minister who visited Beijing?' })).found).toBe(true);
    } finally {
      await archive.close();
    }
    const entries = await readdir(index);
    expect(entries).toContain('.gitkeep');
    expect(entries).toContain('archivist-index.json');
    // A second start reads it as the index it now is.
    const again = await bootArchive(testConfig(index), quiet);
    await again.close();
  }, 120_000);
});

describe('damage to derived files and to the log', () => {
  let pristine: string;
  let ids: string[];
  beforeAll(async () => {
    pristine = join(root, 'pristine');
    const archive = await boot(pristine);
    ids = (await archive.put(API_ARTICLES.map((a) => apiArticle(a)))).map((r) => r.id);
    expect(await answers(archive)).toEqual(API_ARTICLES.map((a) => a.title));
    await archive.store.close(); // writes the snapshot
    expect((await readdir(pristine)).filter((e) => /^snapshot-\d+$/.test(e))).toHaveLength(1);
  }, 120_000);

  const flip = async (path: string, at?: number) => {
    const buf = await readFile(path);
    buf[at ?? buf.length >> 1] ^= 0x20;
    await writeFile(path, buf);
  };
  const snapshotFile = async (index: string, f: string) =>
    join(
      index,
      (await readdir(index)).find((e) => /^snapshot-\d+$/.test(e))!,
      f,
    );

  it.each(['vectors.hnsw', 'keyword.json', 'articles.jsonl', 'manifest.json'])(
    "a flipped byte in the snapshot's %s: set aside, reported, rebuilt from the log; every API article still answers",
    async (file) => {
      const index = join(root, `damaged-${file}`);
      await cp(pristine, index, { recursive: true });
      await flip(await snapshotFile(index, file));
      const lines: string[] = [];
      const archive = await boot(index, lines);
      expect(lines.join('\n')).toMatch(/snapshot snapshot-\d+ is damaged .*set aside as snapshot-\d+\.damaged-\d+/);
      expect(await answers(archive)).toEqual(API_ARTICLES.map((a) => a.title));
      await archive.store.close();
      expect((await readdir(index)).some((e) => /\.damaged-\d+$/.test(e))).toBe(true);
    },
    120_000,
  );

  it('a flipped byte in the middle of the log with no snapshot to rebuild from: that record is named and skipped, the rest all answer', async () => {
    const index = join(root, 'damaged-log');
    await cp(pristine, index, { recursive: true });
    // With a snapshot the start serves the article from it and `npm run check` finds the record
    // (tests/store.local.test.ts); without one the indexes are built from the log, record by record.
    for (const e of await readdir(index)) if (/^snapshot-\d+$/.test(e)) await rm(join(index, e), { recursive: true });
    const db = await readFile(join(index, 'articles.db'));
    const at = db.indexOf(Buffer.from('Kestrel Ridge observatory reported'));
    expect(at).toBeGreaterThan(0);
    await flip(join(index, 'articles.db'), at + 10);
    const lines: string[] = [];
    const archive = await boot(index, lines);
    expect(lines.join('\n')).toMatch(new RegExp(`article log record \\d+ \\(article ${ids[1]}\\) fails its checksum and is skipped`));
    const got = await answers(archive);
    expect([got[0], got[2]]).toEqual([API_ARTICLES[0].title, API_ARTICLES[2].title]);
    expect(got[1]).not.toBe(API_ARTICLES[1].title);
    // Adding the article again repairs it.
    await archive.put([apiArticle(API_ARTICLES[1])]);
    expect(await answers(archive)).toEqual(API_ARTICLES.map((a) => a.title));
    await archive.store.close();
  }, 120_000);
});

describe('an index of the previous format (generation folders + CURRENT)', () => {
  it('is imported without re-embedding: its API-added articles answer after the upgrade', async () => {
    const index = join(root, 'legacy');
    const gen = join(index, 'gen-000002');
    await mkdir(gen, { recursive: true });
    const settings = { model: embedder.model, dims: embedder.dims, chunkSize: 800, chunkOverlap: 100 };
    const records = await buildRecords(
      API_ARTICLES.map((a) => apiArticle(a)),
      embedder,
      settings,
    );
    // Written exactly as format 1 wrote it: rows with HNSW labels, the graph, a manifest of hashes.
    const hnsw = new hnswlib.HierarchicalNSW('ip', embedder.dims);
    hnsw.initIndex({ maxElements: 64, m: 16, efConstruction: 100, allowReplaceDeleted: true });
    let label = 0;
    const rows = records.map((r) => ({
      article: r.article,
      chunks: r.chunks.map((c, i) => (hnsw.addPoint(Array.from(r.vectors[i]), label), { ...c, label: label++ })),
    }));
    await hnsw.writeIndex(join(gen, 'vectors.hnsw'));
    await writeFile(join(gen, 'articles.json'), JSON.stringify(rows));
    await writeFile(join(gen, 'keyword.json'), '{}');
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const f of ['vectors.hnsw', 'articles.json', 'keyword.json']) {
      const buf = await readFile(join(gen, f));
      files[f] = { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    }
    await writeFile(join(gen, 'manifest.json'), JSON.stringify({ formatVersion: 1, settings, files, nextLabel: label }));
    await writeFile(join(index, 'CURRENT'), 'gen-000002\n');
    const lines: string[] = [];
    const archive = await boot(index, lines);
    expect(lines.join('\n')).toMatch(/imported 3 articles from the previous index format/);
    expect(await answers(archive)).toEqual(API_ARTICLES.map((a) => a.title));
    await archive.store.close();
    expect(await readdir(index)).toEqual(expect.arrayContaining(['CURRENT', 'gen-000002', 'archivist-index.json', 'articles.db']));
  }, 120_000);
});

/** A real server process (`main.ts start`) on INDEX_DIR and a free port; resolves once serving. */
async function serverProcess(index: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: REPO,
    env: { ...process.env, INDEX_DIR: index, SEEDS_DIR: SEEDS, PORT: '0', LOG_LEVEL: 'silent', SNAPSHOT_DELAY_MS: '200' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let url = '';
    let out = '';
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      url ||= /listening on (http:\/\/[^;\s]+)/.exec(out)?.[1] ?? '';
      if (url && /; serving /.test(out)) resolve({ url, child });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));

describe('several processes on one INDEX_DIR', () => {
  it('two servers writing at once and `npm run ingest` during their writes: every acknowledged write is there', async () => {
    const index = join(root, 'shared');
    const folder = join(root, 'ingest-folder');
    await mkdir(folder);
    for (let i = 0; i < 3; i++)
      await writeFile(join(folder, `f${i}.txt`), `Folder article ${i}\n\nThe river lock at Tessel number ${i} reopened after repairs on Friday.`);
    const first = await serverProcess(index); // builds the index from seeds/
    const second = await serverProcess(index);
    try {
      const servers = [first.url, second.url];
      const ingest = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'ingest', folder], {
        cwd: REPO,
        env: { ...process.env, INDEX_DIR: index, SEEDS_DIR: folder, LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      });
      const ingestDone = new Promise<number | null>((r) => ingest.on('exit', r));
      const acked: string[] = [];
      let refused = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = lane; i < 32; i += 4) {
            const r = await postJson(`${servers[i % 2]}/api/articles`, {
              title: `Burst ${i}`,
              text: `Burst article ${i}: the harbour master of Vell logged ship number ${i} on Monday.`,
            });
            if (r.status === 201) acked.push(r.json.articles[0].id);
            else {
              refused++;
              expect(r.status).toBe(503); // a clear "try again", never a silent loss
            }
          }
        }),
      );
      expect(await ingestDone).toBe(0);
      expect(acked.length).toBeGreaterThan(28);
      expect(refused + acked.length).toBe(32);
      for (const url of servers) {
        for (const id of acked) expect((await fetch(`${url}/api/articles/${id}`)).status).toBe(200);
      }
      const disk = await LocalStore.open(index);
      const prints = await disk.fingerprints();
      for (const id of acked) expect(prints.has(id)).toBe(true);
      expect([...prints.values()].filter((p) => p.source.startsWith('f')).length).toBe(3);
      await disk.close();
    } finally {
      for (const s of [first, second]) {
        s.child.kill('SIGTERM');
        await exited(s.child);
      }
    }
  }, 300_000);
});
