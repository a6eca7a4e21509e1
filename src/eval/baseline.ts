/**
 * The stock LangChain.js recipe, as a baseline: recursive splitter 800/100, HNSWLib over
 * HuggingFaceTransformersEmbeddings with the same bundled model, similaritySearch. Written once
 * here; the evaluation and both benchmarks (bench/ingest.ts, bench/query.ts) build it from these.
 */
import { HuggingFaceTransformersEmbeddings } from '@langchain/community/embeddings/huggingface_transformers';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Article } from '../corpus/article.js';
import { resolveModelDir } from '../embed.js';

export interface BaselineOptions {
  model: string;
  modelDir?: string;
  /** LangChain's default is 512 texts per call; pass 32 to keep memory bounded on big corpora. */
  batchSize?: number;
}

/** Points Transformers.js at the bundled model, offline, before LangChain loads it. */
export async function useBundledModel(modelDir?: string) {
  const { env } = await import('@huggingface/transformers');
  const root = resolveModelDir(modelDir);
  env.localModelPath = root.endsWith('/') ? root : `${root}/`;
  env.allowRemoteModels = false;
}

/** The recipe's embeddings: LangChain's Transformers.js wrapper on the bundled model (call `useBundledModel` first). */
export function stockEmbeddings(opts: BaselineOptions) {
  return new HuggingFaceTransformersEmbeddings({
    model: opts.model,
    // The PretrainedOptions type of this LangChain version omits dtype, which Transformers.js 3 reads.
    pretrainedOptions: { dtype: 'q4' } as Record<string, unknown>,
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  });
}

/** The recipe's chunks: LangChain's recursive splitter at 800/100, metadata articleId and title. */
export async function stockDocuments(articles: Article[]) {
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 800, chunkOverlap: 100 });
  return splitter.createDocuments(
    articles.map((a) => a.text),
    articles.map((a) => ({ articleId: a.id, title: a.title })),
  );
}

/** Builds the stock index; `search(q, k)` returns passage texts, best first. */
export async function buildStockRecipe(articles: Article[], opts: BaselineOptions) {
  await useBundledModel(opts.modelDir);
  const store = await HNSWLib.fromDocuments(await stockDocuments(articles), stockEmbeddings(opts));
  return {
    store,
    async search(question: string, k: number): Promise<{ text: string; articleId: string }[]> {
      const docs = await store.similaritySearch(question, k);
      return docs.map((d) => ({ text: d.pageContent, articleId: d.metadata.articleId as string }));
    },
  };
}
