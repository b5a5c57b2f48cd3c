import { describe, expect, it } from 'vitest';
import { parseWithinTokens } from './tokens';

describe('parseWithinTokens', () => {
  // `{ a b }` is 4 tokens: { a b }
  it('parses a document at the limit and gives up just over it', () => {
    expect(parseWithinTokens('{ a b }', 4)).toHaveProperty('document');
    expect(parseWithinTokens('{ a b c }', 4)).toEqual({ tooManyTokens: true });
  });

  it('tells a syntax error apart from the token limit', () => {
    const outcome = parseWithinTokens('{ a ', 100);
    expect(outcome).toHaveProperty('syntaxError');
  });

  it('stops early on a huge document', () => {
    const huge = `{ ${'a '.repeat(1_000_000)}}`;
    expect(parseWithinTokens(huge, 1_000)).toEqual({ tooManyTokens: true });
  });
});
