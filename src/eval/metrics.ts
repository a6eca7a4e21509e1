/** SQuAD's answer normalisation and scores, plus the summary statistics the harness reports. */

/** Lower case, punctuation and a/an/the removed, white space folded (SQuAD's normalize_answer). */
export function normalise(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when `text` contains one of the gold answers, after normalisation. */
export function containsAnswer(text: string, answers: string[]): boolean {
  const t = ` ${normalise(text)} `;
  return answers.some((a) => {
    const n = normalise(a);
    return n.length > 0 && t.includes(` ${n} `);
  });
}

export function exactMatch(prediction: string, answers: string[]): number {
  const p = normalise(prediction);
  return answers.some((a) => normalise(a) === p) ? 1 : 0;
}

function tokenF1(prediction: string, gold: string): number {
  const p = normalise(prediction).split(' ').filter(Boolean);
  const g = normalise(gold).split(' ').filter(Boolean);
  if (!p.length || !g.length) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (!same) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** SQuAD F1: token overlap with the best-matching gold answer. */
export function f1(prediction: string, answers: string[]): number {
  return answers.length ? Math.max(...answers.map((a) => tokenF1(prediction, a))) : 0;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Rank (1-based) of the first passage holding a gold answer, or 0. */
export function firstHit(passages: string[], answers: string[]): number {
  const i = passages.findIndex((p) => containsAnswer(p, answers));
  return i + 1;
}
