/**
 * The transports' shared layer that keeps answers: /api/chat, the SSE stream, /v1 and MCP all ask
 * through this wrapper, so each answer they give is kept once and carries its `answerId`. The
 * evaluation, benchmarks and `npm run ask` use the archive without it and keep nothing.
 */
import type { Archive } from '../archive.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

export type KeepSettings = Pick<Config, 'keepAnswers' | 'answerRetentionDays' | 'answerRetentionCount'> & Partial<Pick<Config, 'llmModel'>>;

/**
 * The archive whose `ask` keeps each answer and adds its `answerId`; with KEEP_ANSWERS=false the
 * archive as it is. An answer that cannot be kept (the store refused the write) is still given,
 * without an id, and the failure logged: an id is handed out only for an answer that is stored.
 * @example const served = keepingArchive(archive, config, logger); (await served.ask({ question })).answerId
 */
export function keepingArchive(archive: Archive, settings: KeepSettings, logger?: Logger): Archive {
  if (!settings.keepAnswers) return archive;
  const retention = { days: settings.answerRetentionDays, count: settings.answerRetentionCount };
  return {
    ...archive,
    ask: async (input) => {
      const result = await archive.ask(input);
      try {
        const answerId = await archive.answers.keep(input, result, retention, { model: settings.llmModel });
        return { ...result, answerId };
      } catch (err) {
        logger?.error({ err }, 'answers: the answer could not be kept; it was given without an id');
        return result;
      }
    },
  };
}
