import { describe, expect, it } from 'vitest';
import { matchExpressionFor, parseSearchQuery } from '../../../src/core/store/search-query';

describe('parseSearchQuery', () => {
  it('splits words, keeps "quoted phrases" together, and marks the word being typed as a prefix', () => {
    expect(parseSearchQuery('warm "rabbit burrow" fie')).toEqual([
      { text: 'warm', phrase: false, prefix: false },
      { text: 'rabbit burrow', phrase: true, prefix: false },
      { text: 'fie', phrase: false, prefix: true },
    ]);
  });

  it('stops treating the last word as a prefix once the user typed a space or closed the quote', () => {
    expect(parseSearchQuery('rabbit ').at(-1)?.prefix).toBe(false);
    expect(parseSearchQuery('"warm burrow"').at(-1)?.prefix).toBe(false);
    // An unterminated phrase is still being typed: its last word is a prefix.
    expect(parseSearchQuery('"warm bur')).toEqual([{ text: 'warm bur', phrase: true, prefix: true }]);
  });

  it('matches a one-letter word whole (a one-letter prefix would match most of the index)', () => {
    expect(parseSearchQuery('rabbit a')).toEqual([
      { text: 'rabbit', phrase: false, prefix: false },
      { text: 'a', phrase: false, prefix: false },
    ]);
    expect(parseSearchQuery('ra')[0]?.prefix).toBe(true);
  });

  it('drops parts with no letters or digits, and keeps at most 16 parts', () => {
    expect(parseSearchQuery('-- *** "" ( ) rabbit ^')).toEqual([{ text: 'rabbit', phrase: false, prefix: false }]);
    expect(parseSearchQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))).toHaveLength(16);
    expect(parseSearchQuery('   ')).toEqual([]);
  });
});

describe('matchExpressionFor', () => {
  it('quotes every part, so FTS5 operators and syntax are plain words', () => {
    expect(matchExpressionFor('cats OR dogs NOT "fish" NEAR(a b) title:x col*')).toBe(
      '"cats" "OR" "dogs" "NOT" "fish" "NEAR(a" "b)" "title:x" "col*"*',
    );
    expect(matchExpressionFor('say "hi" to Bob\'s "rab')).toBe('"say" "hi" "to" "Bob\'s" "rab"*');
    expect(matchExpressionFor('a"b')).toBe('"a" "b"');
    expect(matchExpressionFor('')).toBeNull();
    expect(matchExpressionFor('!!! ???')).toBeNull();
  });

  it('replaces control characters, which cannot reach the index either', () => {
    expect(matchExpressionFor('rab\u0000bit\u001b[1m')).toBe('"rab" "bit" "[1m"*');
  });
});
