import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countAuthFields } from './auth-fields';

describe('countAuthFields', () => {
  it('counts sign-in mutations at the top of the operation, aliased or not', () => {
    expect(countAuthFields(parse('mutation { logIn(email: "a", password: "b") { accessToken } }'))).toBe(1);
    expect(countAuthFields(parse('mutation { a: logIn(x: 1) b: logIn(x: 2) signUp refreshSession logOut placeOrder }'))).toBe(5);
    expect(countAuthFields(parse('{ me { logIn } greeting }'))).toBe(0);
  });

  it('expands fragments, each spread counting again', () => {
    const document = parse('mutation { ...Guess ...Guess ... on Mutation { c: logIn } } fragment Guess on Mutation { a: logIn b: logIn }');
    expect(countAuthFields(document)).toBe(5);
  });

  it('counts the operation being run', () => {
    const document = parse('mutation One { logIn } mutation Two { a: logIn b: logOut }');
    expect(countAuthFields(document, 'One')).toBe(1);
    expect(countAuthFields(document, 'Two')).toBe(2);
  });
});
