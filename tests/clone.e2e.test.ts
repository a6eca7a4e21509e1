/**
 * The README's front door, as a new user meets it: the repository is cloned into an empty folder,
 * and the README's own commands, read out of its code blocks, run there exactly as written with
 * nothing beside the clone and no setting but a free PORT (plus the PATH and HOME any shell has).
 * The install is done once, by the "Run it" line, and the `npm run ask` lines run in the same
 * clone after the server stopped. The clone is of the committed HEAD of this repository.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from './helpers.js';
import { exampleDiffs, matchesElided, readmeBlocks } from './readme.js';

const RUN_IT = 'npm install && npm start';
const blocks = readmeBlocks(REPO);
const runIt = blocks.find((b) => b.section === 'Run it' && b.lang === 'sh');
const curlAt = blocks.findIndex((b) => b.section === 'Use it' && b.lang === 'sh' && b.body.startsWith('curl'));
const example = blocks.slice(curlAt + 1).find((b) => b.lang === 'json');
/** Each `npm run ask` line with the output block that follows it. */
const asks = blocks.flatMap((b, i) =>
  b.lang === 'sh' && b.body.startsWith('npm run ask')
    ? b.body
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ line, output: blocks[i + 1] }))
    : [],
);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** The environment of a fresh shell: PATH without this checkout's node_modules, HOME, and PORT. */
const shellEnv = (port: number) => ({
  PATH: (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(delimiter),
  HOME: process.env.HOME ?? '/root',
  PORT: String(port),
});

/** Runs one README line with `sh -c` in the clone, to its end. */
function run(line: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What `npm run` prints before the script's own output (`> name@version script` and the command). */
const withoutNpmBanner = (out: string) => out.replace(/^\s*(> .*\n)+\n/, '');

let root: string;
let clone: string;
let port: number;
let started: { code: number | null; stderr: string; ready: boolean };
let chat: { status: number; body: unknown };

beforeAll(async () => {
  // These guard the test itself: it waits for a server and asks it, which only fits these commands.
  expect(runIt?.body, `README "Run it" must be \`${RUN_IT}\`; this test runs exactly that: update it with the README`).toBe(RUN_IT);
  expect(curlAt, 'README "Use it" must start with a curl example').toBeGreaterThanOrEqual(0);
  expect(asks.length, 'README must show `npm run ask` lines').toBeGreaterThan(0);

  root = await tempDir('archivist-clone-');
  clone = join(root, 'archivist');
  execFileSync('git', ['clone', '--quiet', REPO, clone]);
  expect(await readdir(join(clone, 'index'))).toEqual(['.gitkeep']);
  port = await freePort();
  const env = shellEnv(port);

  const child = spawn('sh', ['-c', runIt!.body], { cwd: clone, env, detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  child.stdout.resume();
  let code: number | null | undefined;
  const exited = new Promise<void>((r) =>
    child.on('exit', (c) => {
      code = c;
      r();
    }),
  );
  let ready = false;
  const deadline = Date.now() + 14 * 60_000; // the install compiles better-sqlite3 from source
  while (!ready && code === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    ready = await fetch(`http://127.0.0.1:${port}/api/ready`).then(
      (r) => r.ok,
      () => false,
    );
  }
  if (ready) {
    const curl = blocks[curlAt].body.replace(/\\\n\s*/g, ' ');
    const path = /localhost:3000(\/\S+)/.exec(curl)![1];
    const data = /-d '([^']*)'/.exec(curl)![1];
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: data });
    chat = { status: res.status, body: await res.json() };
    process.kill(-child.pid!, 'SIGTERM');
  }
  await exited;
  started = { code: code ?? null, stderr, ready };
}, 16 * 60_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe(`the README's "${RUN_IT}" on a fresh clone`, () => {
  it("installs, starts from the repository's own index/ and becomes ready", () => {
    expect(started.ready, `not ready; exit ${started.code}; stderr:\n${started.stderr}`).toBe(true);
  });

  it("answers the README's example question with the README's example response, quote and keys", () => {
    expect(chat?.status).toBe(200);
    const want = JSON.parse(example!.body);
    expect(exampleDiffs(want, chat.body)).toEqual([]);
    // The answer quotes the article: the quote is the article's text, and it is in the answer.
    const quote = (chat.body as { quotes: { text: string }[] }).quotes[0].text;
    expect((chat.body as { answer: string }).answer).toContain(`“${quote}”`);
  });

  it("built its index in the repository's index/, beside the .gitkeep", async () => {
    const entries = await readdir(join(clone, 'index'));
    expect(entries).toEqual(expect.arrayContaining(['.gitkeep', 'archivist-index.json', 'articles.db']));
  });
});

describe("the README's `npm run ask` lines in the same clone", () => {
  it.each(asks.map((a) => [a.line, a.output] as const))(
    '%s prints what the README shows',
    async (line, output) => {
      expect(started.ready, 'the install and first start failed (see above)').toBe(true);
      expect(output?.lang, `README: the output of \`${line}\` must follow it in a text block`).toBe('text');
      const r = await run(line, clone, shellEnv(port));
      expect(r.code, r.stderr).toBe(0);
      const got = withoutNpmBanner(r.stdout).trim();
      expect(matchesElided(output!.body.trim(), got), `README shows:\n${output!.body}\nprinted:\n${got}`).toBe(true);
    },
    300_000,
  );
});
