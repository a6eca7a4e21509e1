/** The evaluation's default data ships with the repository, with its attribution; a missing file is named. */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { DEFAULT_EVAL_FILE } from '../src/eval/cli.js';
import { loadEvalSet } from '../src/eval/dataset.js';
import { REPO } from './helpers.js';

describe('DEFAULT_EVAL_FILE', () => {
  it('is the SQuAD 2.0 sample tracked in the repository, with its source and licence beside it', async () => {
    expect(DEFAULT_EVAL_FILE.startsWith('..')).toBe(false);
    // Tracked, so a clone has it (throws when git does not know the file).
    execFileSync('git', ['ls-files', '--error-unmatch', DEFAULT_EVAL_FILE], { cwd: REPO, stdio: 'pipe' });
    const set = await loadEvalSet(join(REPO, DEFAULT_EVAL_FILE));
    expect(set.questions).toHaveLength(626);
    expect(set.questions.filter((q) => q.impossible)).toHaveLength(333);
    const readme = await readFile(join(REPO, dirname(DEFAULT_EVAL_FILE), 'README.md'), 'utf8');
    expect(readme).toContain('CC BY-SA 4.0');
    expect(readme).toMatch(/Rajpurkar, Robin Jia and Percy Liang/);
  });
});

describe('loadEvalSet', () => {
  it('names a question file that is not there, as a bad request', async () => {
    const err = await loadEvalSet('no/such/questions.json').catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('bad_request');
    expect(err.message).toBe(
      'eval: there is no question file no/such/questions.json; give a SQuAD v2 .json or a .jsonl file of questions (without one, npm run eval reads eval/squad/squad-v2-small.json from the repository)',
    );
  });
});
