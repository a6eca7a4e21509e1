// @ts-check
// A model's answer on the page: which generator answered, its quotes marked verified (found word
// for word in an article, linked to the quote) or unverified (not found: never shown as a
// source), and any warning. Marks are words as well as colours, so they reach screen readers
// and survive a high-contrast theme. Answers without `verification` (extractive) render as before.

import { el, plural } from './render.js';

/** @typedef {import('./conversation.js').Turn} Turn */

// A quoted string as the server writes it (verified quotes) or as the model wrote it.
const QUOTED = /“([^”]*)”|"([^"]*)"/g;

/** Who wrote the answer; nothing when the server has no model configured. @param {Turn} turn */
export function generatorNote(turn) {
  if (!turn.generator) return null;
  return turn.generator === 'openai'
    ? el('p', { class: 'generator generator-openai' }, 'Written by your model · every quote checked against the articles')
    : el('p', { class: 'generator generator-extractive' }, 'Built from the articles’ own sentences');
}

/** The server's warning (the model failed, or a quote could not be verified). @param {Turn} turn */
export function warningNote(turn) {
  return turn.warning ? el('p', { class: 'warning', role: 'note' }, turn.warning) : null;
}

/**
 * Appends answer text with each quoted string marked as verified or unverified; the text
 * between quotes (and a verified quote's own [n]) goes through `appendText`.
 * @param {HTMLElement} into @param {string} text @param {Turn} turn
 * @param {(into: HTMLElement, text: string) => void} appendText
 */
export function appendMarked(into, text, turn, appendText) {
  if (!turn.verification) return appendText(into, text);
  const verified = new Set(turn.quotes.map((q) => q.text));
  const unverified = new Set(turn.verification.unverified);
  let last = 0;
  for (const m of text.matchAll(QUOTED)) {
    const inner = m[1] ?? m[2];
    const kind = verified.has(inner) ? 'verified' : unverified.has(inner) ? 'unverified' : undefined;
    if (!kind) continue;
    const at = m.index ?? 0;
    appendText(into, text.slice(last, at));
    into.append(
      kind === 'verified'
        ? el('span', { class: 'quoted verified', title: 'Found word for word in the article' }, m[0], el('span', { class: 'visually-hidden' }, ' (verified)'))
        : el('span', { class: 'quoted unverified', title: 'Not found in the articles' }, m[0], ' ', el('span', { class: 'unverified-label' }, 'unverified')),
    );
    last = at + m[0].length;
  }
  appendText(into, text.slice(last));
}

/** The mark on each quote of a checked answer. @param {Turn} turn */
export function verifiedBadge(turn) {
  return turn.verification ? el('span', { class: 'verified-badge' }, '✓ verified in the article') : null;
}

/**
 * The model's sentences whose quotes failed the check: the server left them out of the answer,
 * and they are listed apart, struck out, so no one takes them for sourced. @param {Turn} turn
 */
export function renderRemoved(turn) {
  const removed = turn.verification?.unverified ?? [];
  if (!removed.length) return null;
  const one = removed.length === 1;
  return el(
    'section',
    { class: 'removed-quotes', 'aria-label': 'Unverified sentences' },
    el(
      'p',
      { class: 'removed-title' },
      `${plural(removed.length, 'sentence')} the model wrote quoted words not found in the articles, so ${one ? 'it is' : 'they are'} left out of the answer:`,
    ),
    el(
      'ul',
      { class: 'removed-list' },
      removed.map((t) => el('li', { class: 'removed-quote' }, el('s', {}, t))),
    ),
  );
}
