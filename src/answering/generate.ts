/**
 * The call to the user's model: any server that speaks OpenAI's chat-completions protocol
 * (Ollama, llama.cpp's llama-server, vLLM, LM Studio), through the official `openai` client.
 * One time limit covers the whole answer, streamed or not; the caller's AbortSignal cancels the
 * call. A failure comes back as a `GenerationError` whose message says what happened, so the
 * answerer can fall back and say why; the last call's outcome is kept for /api/health.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { AppError } from '../errors.js';

export interface GeneratorSettings {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  maxTokens: number;
  temperature: number;
}

/** Why the model gave no usable answer; the message is safe to show (no paths, no stack). */
export class GenerationError extends Error {
  override name = 'GenerationError';
}

export interface LastCall {
  /** True when the model server answered the last call in full. */
  answered: boolean;
  at: string;
  error?: string;
}

/** Turns whatever the client threw into a short account of what went wrong. */
function describe(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `the model server did not finish within LLM_TIMEOUT_MS (${timeoutMs} ms)`;
  if (err instanceof GenerationError) return err.message;
  if (err instanceof APIConnectionError) return 'the model server could not be reached';
  if (err instanceof APIError) return `the model server answered HTTP ${err.status ?? 'error'}`;
  if (err instanceof SyntaxError) return 'the model server sent a malformed stream';
  return 'the model server broke off mid-answer';
}

/**
 * @example
 *   const gen = createGenerator({ baseUrl: 'http://localhost:11434/v1', model: 'llama3.1:8b', timeoutMs: 10000, maxTokens: 512, temperature: 0 });
 *   const text = await gen.complete({ messages, onDelta: (t) => process.stdout.write(t) });
 */
export function createGenerator(settings: GeneratorSettings) {
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    // The client insists on a key; local servers ignore it.
    apiKey: settings.apiKey || 'none',
    // A retry would double the wait the fallback is there to avoid.
    maxRetries: 0,
    timeout: settings.timeoutMs,
    // Failures are logged once, by the answerer, with what the reader was told.
    logLevel: 'off',
  });
  let last: LastCall | undefined;

  return {
    model: settings.model,
    /** The outcome of the last call, or undefined before the first. */
    lastCall: (): LastCall | undefined => last,

    /**
     * Asks the model. With `onDelta` the answer is streamed and each piece passed on as it arrives.
     * @throws AppError('cancelled') when `signal` aborts; GenerationError for anything else.
     */
    async complete(input: { messages: ChatCompletionMessageParam[]; signal?: AbortSignal; onDelta?: (text: string) => void }): Promise<string> {
      // The client's own timeout stops at the response headers; this one covers the whole body too.
      const timer = AbortSignal.timeout(settings.timeoutMs);
      const signal = input.signal ? AbortSignal.any([input.signal, timer]) : timer;
      const request = { model: settings.model, messages: input.messages, max_tokens: settings.maxTokens, temperature: settings.temperature };
      try {
        let text = '';
        if (input.onDelta) {
          const stream = await client.chat.completions.create({ ...request, stream: true }, { signal });
          let finished = false;
          for await (const chunk of stream) {
            const choice = chunk.choices?.[0];
            const piece = choice?.delta?.content ?? '';
            if (piece) {
              text += piece;
              input.onDelta(piece);
            }
            if (choice?.finish_reason) finished = true;
          }
          // A connection closed mid-answer can end the stream quietly; only a finish_reason says it is whole.
          if (!finished) throw new GenerationError('the model server closed the stream before the answer was finished');
        } else {
          const completion = await client.chat.completions.create(request, { signal });
          const content = completion.choices?.[0]?.message?.content;
          if (typeof content !== 'string') throw new GenerationError('the model server sent a reply without an answer');
          text = content;
        }
        last = { answered: true, at: new Date().toISOString() };
        return text;
      } catch (err) {
        if (input.signal?.aborted) throw new AppError('cancelled', 'chat: the request was cancelled', { cause: err });
        const message = describe(err, timer.aborted || err instanceof APIConnectionTimeoutError, settings.timeoutMs);
        last = { answered: false, at: new Date().toISOString(), error: message };
        throw new GenerationError(message, { cause: err });
      }
    },
  };
}

export type Generator = ReturnType<typeof createGenerator>;
