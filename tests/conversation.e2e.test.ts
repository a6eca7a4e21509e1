/** Scripted conversations over the seed article: follow-ups must keep their subject. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, seedServer } from './helpers.js';

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer();
});
afterAll(async () => srv?.close());

async function converse(questions: string[]) {
  const history: { role: 'user' | 'assistant'; content: string }[] = [];
  const answers = [];
  for (const question of questions) {
    const { status, json } = await postJson(`${srv.url}/api/chat`, { question, history });
    expect(status).toBe(200);
    answers.push(json);
    history.push({ role: 'user', content: question }, { role: 'assistant', content: json.answer });
  }
  return answers;
}

describe('follow-up questions', () => {
  it('resolves "he" to the minister named in the first answer', async () => {
    const [first, second] = await converse(['Who is the Russian defense minister who visited Beijing?', 'When did he arrive?']);
    expect(first.short.text).toBe('Andrei Belousov');
    expect(second.query).toContain('Belousov');
    expect(second.found).toBe(true);
    expect(second.short.text).toBe('Monday');
    expect(second.quotes[0].text).toContain('arrived in Beijing Monday');
  });

  it('answers "What did he say about stability?" from Belousov\'s words', async () => {
    const [, second] = await converse(['Who is the Russian defense minister who visited Beijing?', 'What did he say about stability?']);
    expect(second.query).toMatch(/Belousov.*stability|stability.*Belousov/);
    expect(second.quotes.map((q: { text: string }) => q.text).join(' ')).toContain('stability');
  });

  it('carries the topic into "And the navy?"', async () => {
    const [, second] = await converse(['Have Russia and China held military drills together?', 'And the navy?']);
    expect(second.query).toMatch(/drills/i);
    expect(second.found).toBe(true);
    expect(second.quotes.map((q: { text: string }) => q.text).join(' ')).toMatch(/warships|naval/);
  });

  it('without history, the same follow-up is searched as asked', async () => {
    const { json } = await postJson(`${srv.url}/api/chat`, { question: 'When did he arrive?' });
    expect(json.query).toBe('When did he arrive?');
  });
});
