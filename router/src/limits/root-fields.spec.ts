import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countRootFields } from './root-fields';

describe('countRootFields', () => {
  it('counts the fields at the top of the operation only', () => {
    expect(countRootFields(parse('{ a { b c d } }'))).toBe(1);
    expect(countRootFields(parse('{ a b x: a __typename }'))).toBe(4);
  });

  it('expands fragments on the root type', () => {
    const document = parse('query { a ...Roots ... on Query { d } } fragment Roots on Query { b c }');
    expect(countRootFields(document)).toBe(4);
  });

  it('checks mutations too, and the named operation', () => {
    const document = parse('query Q { a } mutation M { x y z }');
    expect(countRootFields(document, 'Q')).toBe(1);
    expect(countRootFields(document, 'M')).toBe(3);
  });
});
