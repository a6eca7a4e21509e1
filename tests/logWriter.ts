/**
 * A writer process for the crash tests (tests/store.local.test.ts): adds `n` small articles to
 * the local store in INDEX_DIR one commit at a time (optionally snapshotting after them), waits
 * until the committed mark says the last one, prints "ready" and waits to be killed, so the WAL
 * still holds its frames (no checkpoint on close).
 */
import { readMark } from '../src/store/committed.js';
import { LocalStore } from '../src/store/local.js';
import { smallRecord } from './storeRecords.js';

const [dir, count, snapshot] = process.argv.slice(2);
const store = await LocalStore.open(dir);
await store.reset({ model: 'test-model', dims: 8, chunkSize: 800, chunkOverlap: 100 });
for (let i = 0; i < Number(count); i++) await store.apply({ put: [smallRecord(i)], remove: [] });
if (snapshot === 'snapshot') await store.checkpoint();
for (;;) {
  const mark = await readMark(dir);
  if (mark && mark.seq >= Number(count)) break;
  await new Promise((r) => setTimeout(r, 50));
}
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
