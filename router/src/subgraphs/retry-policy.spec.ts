import { describe, expect, it } from 'vitest';
import { failureOf, isQueryDocument, leavesRotation, mayRetry, type FetchFailure } from './retry-policy';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('failureOf', () => {
  it('tells a connection never made, a timeout and anything else apart', () => {
    expect(failureOf(withCode('ECONNREFUSED'))).toBe('refused');
    expect(failureOf(withCode('UND_ERR_CONNECT_TIMEOUT'))).toBe('refused');
    expect(failureOf(withCode('ENOTFOUND'))).toBe('refused');
    expect(failureOf(withCode('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
    expect(failureOf(withCode('UND_ERR_BODY_TIMEOUT'))).toBe('timeout');
    expect(failureOf(withCode('ECONNRESET'))).toBe('transport');
    expect(failureOf(withCode('UND_ERR_SOCKET'))).toBe('transport');
    expect(failureOf(new Error('no code'))).toBe('transport');
    expect(failureOf(null)).toBe('transport');
  });
});

describe('the retry decision', () => {
  const failures: FetchFailure[] = ['refused', 'draining', 'timeout', 'transport'];

  it('retries a query after any failure', () => {
    for (const failure of failures) expect(mayRetry(failure, true)).toBe(true);
  });

  it('retries a mutation only when it certainly did not run: refused, or the draining answer', () => {
    expect(failures.filter((failure) => mayRetry(failure, false))).toEqual(['refused', 'draining']);
  });

  it('takes a replica out of rotation when it refused, timed out or is draining, not after a one-off reset', () => {
    expect(failures.filter(leavesRotation)).toEqual(['refused', 'draining', 'timeout']);
  });
});

describe('isQueryDocument', () => {
  it('reads the gateway’s fetch documents by their first keyword', () => {
    expect(isQueryDocument('{me{id}}')).toBe(true);
    expect(isQueryDocument('query Cart__cart__0{myCart{id}}')).toBe(true);
    expect(isQueryDocument('query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}')).toBe(true);
    expect(isQueryDocument('mutation{addToCart(productId:"p",quantity:1){totalQuantity}}')).toBe(false);
    expect(isQueryDocument('mutation PlaceOrder__order__0($input:PlaceOrderInput!){placeOrder(input:$input){id}}')).toBe(false);
  });

  it('skips white space, commas and comments before the keyword', () => {
    expect(isQueryDocument('\uFEFF \n\t, # a comment\r\n  query { a }')).toBe(true);
    expect(isQueryDocument('# query\nmutation { a }')).toBe(false);
  });

  it('counts anything else as not a query', () => {
    expect(isQueryDocument('subscription { a }')).toBe(false);
    expect(isQueryDocument('queryX { a }')).toBe(false);
    expect(isQueryDocument('fragment F on Query { a } query { ...F }')).toBe(false);
    expect(isQueryDocument('')).toBe(false);
    expect(isQueryDocument('   ')).toBe(false);
  });
});
