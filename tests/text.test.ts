import { describe, expect, it } from 'vitest';
import { names, searchWords, sentences, strongWords, terms, words } from '../src/text.js';

const split = (t: string) => sentences(t).map((s) => t.slice(s.start, s.end));

describe('sentences', () => {
  it.each([
    ['He will be sentenced on Feb. 14 in court. Then he left.', ['He will be sentenced on Feb. 14 in court.', 'Then he left.']],
    ['The U.S. Army said so. It was late.', ['The U.S. Army said so.', 'It was late.']],
    ['Dr. Smith agreed. Gov. Hochul spoke.', ['Dr. Smith agreed.', 'Gov. Hochul spoke.']],
    ['It was No. 5 on the list. J. K. Rowling wrote it.', ['It was No. 5 on the list.', 'J. K. Rowling wrote it.']],
    ['Mr. Biden left at 5 p.m. Monday. He went to St. Louis.', ['Mr. Biden left at 5 p.m. Monday.', 'He went to St. Louis.']],
    ['Officials in Phoenix, Ariz. Gov. Katie Hobbs spoke. It rained.', ['Officials in Phoenix, Ariz. Gov. Katie Hobbs spoke.', 'It rained.']],
    ['John F. Kennedy was shot in Dallas. He died.', ['John F. Kennedy was shot in Dallas.', 'He died.']],
  ])('does not end a sentence at an abbreviation or initial: %j', (text, want) => {
    expect(split(text)).toEqual(want);
  });

  it.each([
    ['The plant moved to the U.S. The company said so.', ['The plant moved to the U.S.', 'The company said so.']],
    ['It happened at 5 p.m. The police came.', ['It happened at 5 p.m.', 'The police came.']],
    ['"Yes," he said. Who? Me.', ['"Yes," he said.', 'Who?', 'Me.']],
    ['A headline\nThe first line.', ['A headline', 'The first line.']],
  ])('ends a sentence where a reader does: %j', (text, want) => {
    expect(split(text)).toEqual(want);
  });

  it('returns offsets into the whole text within [from, to)', () => {
    const t = 'Skip this. Dr. Lee spoke. End.';
    const [s] = sentences(t, 11, 25);
    expect(t.slice(s.start, s.end)).toBe('Dr. Lee spoke.');
  });
});

describe('words', () => {
  it('keeps inner apostrophes, full stops and hyphens', () => {
    expect(words("Beijing's 3.5% rise, U.S. well-known")).toEqual(["Beijing's", '3.5', 'rise', 'U.S', 'well-known']);
  });
  it('finds names and numbers, not the capital of the first word', () => {
    expect(strongWords('Who visited Beijing in 2024?')).toEqual(['Beijing', '2024']);
  });
  it('gives search only letters and digits, without stop words', () => {
    expect(searchWords("Who visited Beijing's airport? a|b")).toEqual(['visited', 'beijing', 'airport', 'b']);
  });
  it('finds names with their linking words', () => {
    expect(names('Andrei Belousov met Ursula von der Leyen in the Sea of Japan.')).toEqual(['Andrei Belousov', 'Ursula von der Leyen', 'Sea of Japan']);
  });
  it('stems words but keeps numbers whole', () => {
    expect(terms('visited 2024 the ministries')).toEqual(['visit', '2024', 'ministri']);
  });
});
