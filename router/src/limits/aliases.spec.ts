import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countAliases } from './aliases';

describe('countAliases', () => {
  it('counts aliased fields at every level', () => {
    expect(countAliases(parse('{ a b c }'))).toBe(0);
    expect(countAliases(parse('{ x: a y: a { z: b } }'))).toBe(3);
  });

  it('counts a fragment once per place it is spread', () => {
    const document = parse(`
      query { one: a { ...F } two: a { ...F } }
      fragment F on A { p: b q: b }
    `);
    expect(countAliases(document)).toBe(2 + 2 * 2);
  });

  it('counts inline fragments and survives cycles', () => {
    expect(countAliases(parse('{ ... on Query { x: a } }'))).toBe(1);
    const cyclic = parse('query { ...F } fragment F on Query { x: a ...G } fragment G on Query { y: a ...F }');
    expect(countAliases(cyclic)).toBeGreaterThanOrEqual(2);
  });

  it('counts 10,000 aliases', () => {
    const query = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(countAliases(parse(query))).toBe(10_000);
  });
});
