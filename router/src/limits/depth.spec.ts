import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryDepth } from './depth';

const nested = (levels: number) => `${'{ a '.repeat(levels - 1)}{ leaf }${' }'.repeat(levels - 1)}`;

describe('queryDepth', () => {
  it('counts field nesting', () => {
    expect(queryDepth(parse('{ a }'))).toBe(1);
    expect(queryDepth(parse('{ a { b { c } } d }'))).toBe(3);
    expect(queryDepth(parse(`query ${nested(100)}`))).toBe(100);
  });

  it('expands fragments and inline fragments', () => {
    const document = parse(`
      query { a { ...F } }
      fragment F on A { b { ... on B { c { d } } } }
    `);
    expect(queryDepth(document)).toBe(4);
  });

  it('survives fragment cycles (validation refuses them later)', () => {
    const document = parse(`
      query { a { ...F } }
      fragment F on A { b { ...G } }
      fragment G on B { c { ...F } }
    `);
    expect(queryDepth(document)).toBeGreaterThanOrEqual(3);
  });

  it('checks the named operation, or all when the name picks none', () => {
    const document = parse('query Shallow { a } query Deep { a { b { c } } }');
    expect(queryDepth(document, 'Shallow')).toBe(1);
    expect(queryDepth(document, 'Deep')).toBe(3);
    expect(queryDepth(document, 'Missing')).toBe(3);
    expect(queryDepth(document)).toBe(3);
  });

  it('leaves introspection to graphql-js’ own introspection depth rule', () => {
    expect(queryDepth(parse('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }'))).toBe(1);
  });

  it('handles fragments spread many times in linear time', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on T { a { ...F${i + 1} ...F${i + 1} } }`).join('\n');
    const document = parse(`query { ...F0 } ${fragments} fragment F${levels} on T { leaf }`);
    expect(queryDepth(document)).toBe(levels + 1);
  });
});
