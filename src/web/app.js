// Minimal chat: every piece of article or user text goes in through textContent, never as HTML.
const form = document.getElementById('ask');
const list = document.getElementById('conversation');
const el = (tag, text) => { const e = document.createElement(tag); if (text) e.textContent = text; return e; };

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const question = form.question.value.trim();
  if (!question) return;
  list.append(el('li', question));
  form.question.value = '';
  const res = await fetch('/api/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  const data = await res.json();
  const li = el('li');
  li.append(el('p', data.answer ?? data.error?.message));
  for (const q of data.quotes ?? []) {
    const bq = el('blockquote', q.text);
    const a = el('a', `[${q.n}] ${q.title}`);
    if (q.url) { a.href = q.url; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    bq.append(el('br'), a);
    li.append(bq);
  }
  list.append(li);
});
