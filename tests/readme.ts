/**
 * The README read as a test reads it: its fenced code blocks in order, and the comparison of an
 * example it shows with what the program really printed or returned. In an example, `…` stands
 * for text left out; everything else must be there, in that order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Block {
  lang: string;
  body: string;
  /** The `## ` heading the block sits under. */
  section: string;
}

/** Every fenced block of the README, with its language and section. */
export function readmeBlocks(repo: string): Block[] {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const out: Block[] = [];
  let section = '';
  let open: { lang: string; lines: string[]; indent: string } | undefined;
  for (const line of text.split('\n')) {
    if (!open && line.startsWith('## ')) section = line.slice(3).trim();
    const fence = /^(\s*)```(\w*)\s*$/.exec(line);
    if (fence && !open) open = { lang: fence[2], lines: [], indent: fence[1] };
    else if (fence && open) {
      out.push({ lang: open.lang, body: open.lines.join('\n'), section });
      open = undefined;
    } else if (open) open.lines.push(line.startsWith(open.indent) ? line.slice(open.indent.length) : line);
  }
  return out;
}

/** True when `got` holds every piece of `want` between its `…` marks, in order. */
export function matchesElided(want: string, got: string): boolean {
  const pieces = want
    .split('…')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!want.includes('…')) return want === got;
  let at = 0;
  for (const p of pieces) {
    const i = got.indexOf(p, at);
    if (i < 0) return false;
    at = i + p.length;
  }
  return true;
}

/**
 * Where a JSON example of the README differs from a real response: objects must have exactly the
 * example's keys; arrays at least its elements; strings match with `…` elided; integers (offsets)
 * exactly; other numbers within 0.1 (scores), or only as numbers when they are milliseconds.
 * @example exampleDiffs({ a: 1 }, { a: 1, b: 2 }) // ['$: keys not in the README: b']
 */
export function exampleDiffs(want: unknown, got: unknown, path = '$'): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return [`${path}: an array in the README, ${JSON.stringify(got)} returned`];
    if (got.length < want.length) return [`${path}: ${want.length} elements in the README, ${got.length} returned`];
    return want.flatMap((w, i) => exampleDiffs(w, got[i], `${path}[${i}]`));
  }
  if (want && typeof want === 'object') {
    if (!got || typeof got !== 'object' || Array.isArray(got)) return [`${path}: an object in the README, ${JSON.stringify(got)} returned`];
    const wk = Object.keys(want);
    const gk = Object.keys(got);
    const out: string[] = [];
    const extra = gk.filter((k) => !wk.includes(k));
    const missing = wk.filter((k) => !gk.includes(k));
    if (extra.length) out.push(`${path}: keys not in the README: ${extra.join(', ')}`);
    if (missing.length) out.push(`${path}: keys in the README but not returned: ${missing.join(', ')}`);
    for (const k of wk.filter((x) => gk.includes(x)))
      out.push(...exampleDiffs((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${path}.${k}`));
    return out;
  }
  if (typeof want === 'string')
    return typeof got === 'string' && matchesElided(want, got) ? [] : [`${path}: README ${JSON.stringify(want)}, returned ${JSON.stringify(got)}`];
  if (typeof want === 'number') {
    const ok =
      typeof got === 'number' &&
      (path.endsWith('Ms') || path.startsWith('$.timings.') || (Number.isInteger(want) ? got === want : Math.abs(got - want) <= 0.1));
    return ok ? [] : [`${path}: README ${want}, returned ${JSON.stringify(got)}`];
  }
  return want === got ? [] : [`${path}: README ${JSON.stringify(want)}, returned ${JSON.stringify(got)}`];
}
