// @ts-check
// Every request the pages make to the API goes through `api`, so a server started with API_TOKEN
// can be used from the page: the first 401 opens a small dialog asking for the token, the token
// is kept for this tab (sessionStorage: gone when the tab closes, never shared with other
// sites) and sent as `Authorization: Bearer …` on every call. A token the server refuses opens
// the dialog again, saying so. Without API_TOKEN the server never answers 401 and nothing shows.

import { el } from './render.js';

const TOKEN_KEY = 'archivist.token';

/** The token kept for this tab, or null. */
export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the token lives only as long as this page
  }
}

let memoryToken = /** @type {string | null} */ (null);
const currentToken = () => storedToken() ?? memoryToken;

/** @param {string} token */
function keepToken(token) {
  memoryToken = token;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: kept in memory for this page
  }
}

/** @type {Promise<string | null> | null} */
let asking = null;
/** How many times the person cancelled the dialog: a request sent before the last cancel does not ask again. */
let cancels = 0;
/** True when the dialog was cancelled and no token has been entered since. */
let declined = false;
/** @type {Set<() => void>} */
const listeners = new Set();

/** Calls `fn` each time a new token was entered (e.g. to reload what failed without one). @param {() => void} fn */
export function onToken(fn) {
  listeners.add(fn);
}

/**
 * Opens the token dialog, once however many requests are waiting; resolves with the token
 * entered, or null when the person cancelled.
 * @param {string} [refused] the server's message when the token sent was refused
 * @returns {Promise<string | null>}
 */
export function askForToken(refused) {
  if (!asking) {
    asking = showDialog(refused).then((token) => {
      asking = null;
      declined = !token;
      if (token) for (const fn of listeners) fn();
      else cancels += 1;
      return token;
    });
  }
  return asking;
}

/**
 * fetch() for the API: adds the tab's token, and on a 401 asks for one and tries again. A
 * cancelled dialog returns the 401 response, which callers report like any other failure.
 * `background` requests (panels loading by themselves) ask only while nobody has cancelled
 * since the last token, so a dialog once dismissed does not come back on its own; what a
 * person does (a question, a click) asks again.
 * @param {string} url
 * @param {RequestInit} [init]
 * @param {{ background?: boolean }} [options]
 * @returns {Promise<Response>}
 */
export async function api(url, init = {}, { background = false } = {}) {
  const sentAfter = cancels;
  for (;;) {
    const token = currentToken();
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(url, { ...init, headers });
    if (res.status !== 401) return res;
    // Another request may have been answered with a new token meanwhile: use it before asking.
    if (currentToken() !== token) continue;
    if (cancels !== sentAfter || (background && declined)) return res;
    const message = token
      ? await res
          .clone()
          .json()
          .then(
            (b) => b?.error?.message,
            () => undefined,
          )
      : undefined;
    const entered = await askForToken(token ? (message ?? 'The server refused the token.') : undefined);
    if (!entered || init.signal?.aborted) return res;
  }
}

/** @type {HTMLDialogElement | null} */
let dialog = null;

/**
 * The dialog: a labelled password field, "Use token" and "Cancel". Built here, not in the HTML,
 * so both pages (the chat and a kept answer) share it; one element per page, filled anew each
 * time (a dialog emptied or removed as it closes left Chromium deaf to typing after Escape).
 * A refused token is said in words, in an alert, and the field is empty and focused to type it again.
 * @param {string} [refused]
 * @returns {Promise<string | null>}
 */
function showDialog(refused) {
  const field = /** @type {HTMLInputElement} */ (
    el('input', {
      id: 'token-field',
      type: 'password',
      name: 'token',
      required: true,
      autocomplete: 'current-password',
      spellcheck: 'false',
      'aria-describedby': 'token-help',
    })
  );
  const problem = refused
    ? el(
        'p',
        { id: 'token-problem', class: 'token-problem', role: 'alert' },
        'The server did not accept that token (401). Check it and enter it again.',
        el('span', { class: 'token-detail' }, refused),
      )
    : null;
  if (problem) field.setAttribute('aria-describedby', 'token-problem token-help');
  const cancel = el('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = el(
    'form',
    { method: 'dialog', class: 'token-form' },
    el('h2', { id: 'token-title' }, 'This archive needs an API token'),
    el('p', { id: 'token-help', class: 'muted' }, 'The server was started with API_TOKEN. Enter that token to ask and read; it is kept for this tab only.'),
    problem,
    el('label', { for: 'token-field' }, 'API token'),
    field,
    el('div', { class: 'token-actions' }, el('button', { type: 'submit', class: 'primary' }, 'Use token'), cancel),
  );
  if (!dialog) {
    dialog = /** @type {HTMLDialogElement} */ (el('dialog', { id: 'token-dialog', class: 'token-dialog', 'aria-labelledby': 'token-title' }));
    document.body.append(dialog);
  }
  const box = dialog;
  box.replaceChildren(form);
  box.returnValue = '';
  return new Promise((resolve) => {
    // Every way out (Use token, Cancel, Escape) closes the dialog; its return value is the token or ''.
    box.addEventListener('close', () => resolve(box.returnValue || null), { once: true });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = field.value.trim();
      if (!token) return field.focus();
      keepToken(token);
      box.close(token);
    });
    cancel.addEventListener('click', () => box.close(''));
    box.showModal();
    field.focus();
  });
}
