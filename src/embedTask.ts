/**
 * What the embedding worker thread runs (see embed.ts): it loads the model once, on its first
 * task, and then embeds texts or counts their tokens. onnxruntime-node runs a model synchronously
 * on the thread that calls it, so on the main thread every batch would hold up every request
 * meanwhile, health and readiness probes included; here it holds up only this thread.
 */
import { workerData } from 'node:worker_threads';

export interface EmbedWorkerData {
  root: string;
  model: string;
  allowRemoteModels: boolean;
}

export type EmbedTask = { task: 'embed'; texts: string[] } | { task: 'count'; texts: string[] };

export type EmbedResult = { ok: true; data: Float32Array; dims: number[] } | { ok: true; counts: number[] } | { ok: false; message: string };

type Extractor = ((texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>) & {
  tokenizer: { encode: (text: string) => number[] };
};

let loading: Promise<Extractor> | undefined;

async function load({ root, model, allowRemoteModels }: EmbedWorkerData): Promise<Extractor> {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.localModelPath = root.endsWith('/') ? root : `${root}/`;
  env.allowRemoteModels = allowRemoteModels;
  env.allowLocalModels = true;
  return (await pipeline('feature-extraction', model, { dtype: 'q4' })) as unknown as Extractor;
}

export default async function embedTask(t: EmbedTask): Promise<EmbedResult> {
  let extract: Extractor;
  try {
    extract = await (loading ??= load(workerData as EmbedWorkerData));
  } catch (e) {
    // A thrown error crosses the thread as a plain Error; the message is what the caller needs.
    return { ok: false, message: (e as Error).message };
  }
  if (t.task === 'count') return { ok: true, counts: t.texts.map((text) => extract.tokenizer.encode(text).length) };
  const { data, dims } = await extract(t.texts, { pooling: 'mean', normalize: true });
  return { ok: true, data, dims };
}
