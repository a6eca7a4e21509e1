/** The embedder: the model runs on a worker thread, so the event loop keeps turning while it embeds. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, resolveModelDir, type Embedder } from '../src/embed.js';
import { tempDir, testConfig } from './helpers.js';

/** How often a 1 ms timer fired while `work` ran: about 0 means the event loop was held the whole time. */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; value: T }> {
  let turns = 0;
  const timer = setInterval(() => turns++, 1);
  try {
    const value = await work();
    return { turns, value };
  } finally {
    clearInterval(timer);
  }
}

const sentence = (i: number) =>
  `Passage ${i}: the council of the harbour town met on Tuesday evening and agreed, after a long debate about the ferry to Brevik, the winter storms and the county budget, that the works on the new quay would continue through the winter. `;
/** Sixteen texts of about 100 tokens: one batch (embed.ts), tens of milliseconds of inference. */
const BATCH = Array.from({ length: 16 }, (_, i) => sentence(2 * i) + sentence(2 * i + 1));

let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder(testConfig(await tempDir()));
});

describe('createEmbedder', () => {
  it('embeds on a worker thread: the event loop turns while a batch runs', async () => {
    // On the main thread onnxruntime holds the loop for the whole batch: the timer fires once or twice around it.
    const { turns, value } = await loopTurnsDuring(() => embedder.vectors(BATCH));
    expect(value).toHaveLength(16);
    expect(turns).toBeGreaterThan(20);
  });

  it('returns unit vectors in the order of the texts, the same whether embedded alone or in a batch', async () => {
    const texts = ['The ferry to Brevik runs all winter.', BATCH[3], 'Who met in Beijing?'];
    const together = await embedder.vectors(texts);
    const alone = await Promise.all(texts.map(async (t) => (await embedder.vectors([t]))[0]));
    expect(together.map((v) => v.length)).toEqual([384, 384, 384]);
    for (const [i, v] of together.entries()) {
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      // Padding in a batch moves the last digits only.
      for (let k = 0; k < v.length; k += 37) expect(v[k]).toBeCloseTo(alone[i][k], 4);
    }
  });

  it('counts tokens with the model tokenizer ([CLS] and [SEP] included)', () => {
    expect(embedder.countTokens?.('hello world')).toBe(4);
  });

  it('reports a model its worker cannot load as model_unavailable, naming the model', async () => {
    const root = await tempDir();
    const dir = join(root, 'acme/broken-model');
    await mkdir(join(dir, 'onnx'), { recursive: true });
    await writeFile(join(dir, 'config.json'), '{}');
    await writeFile(join(dir, 'tokenizer.json'), '{}');
    await writeFile(join(dir, 'onnx/model_q4.onnx'), 'not a model');
    await expect(createEmbedder({ ...testConfig(root), embeddingModel: 'acme/broken-model', modelDir: root })).rejects.toMatchObject({
      code: 'model_unavailable',
      message: expect.stringMatching(/embed: could not load model "acme\/broken-model"/),
    });
    expect(resolveModelDir(root)).toBe(root);
  });
});
