/** `.json` (one record, an array, or `{articles: [...]}`) and `.jsonl` (a record a line). */
import { AppError } from '../errors.js';

export function parseJson(content: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (e) {
    throw new AppError('bad_request', `json: not valid JSON (${(e as Error).message})`);
  }
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object' && Array.isArray((data as { articles?: unknown }).articles)) {
    return (data as { articles: unknown[] }).articles;
  }
  return [data];
}

export function parseJsonl(content: string): unknown[] {
  return content
    .split(/\r?\n/)
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line)
    .map(([line, n]) => {
      try {
        return JSON.parse(line);
      } catch (e) {
        throw new AppError('bad_request', `jsonl: line ${n} is not valid JSON (${(e as Error).message})`);
      }
    });
}
