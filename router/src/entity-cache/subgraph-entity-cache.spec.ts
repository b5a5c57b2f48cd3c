import { describe, expect, it } from 'vitest';
import { EntityStore } from './entity-store';
import { SubgraphEntityCache, type CacheHint, type EntityCacheGate, type GraphQLAnswer } from './subgraph-entity-cache';

const QUERY = 'query Cart__product__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{name stock}}}';
const PUBLIC: CacheHint = { maxAge: 30, scope: 'PUBLIC' };
const product = (id: string) => ({ __typename: 'Product', id });
const fetchOf = (...ids: string[]) => ({ query: QUERY, variables: { representations: ids.map(product) } });
const entity = (id: string, stock = 5) => ({ name: `Widget ${id}`, stock });

/** A cache over a real store, with a clock and a gate the test moves by hand. */
function setup(options: { ttlMs?: number } = {}) {
  let now = 1_000_000;
  const gate = { generation: 1 as number | null, live: true, liveSince: 0 };
  const gateView: EntityCacheGate = {
    generation: () => gate.generation,
    live: () => gate.live,
    coversReadFrom: (startedAt) => gate.live && gate.liveSince < startedAt,
  };
  const store = new EntityStore({ ttlMs: options.ttlMs ?? 5_000, maxEntries: 100, now: () => now });
  const cache = new SubgraphEntityCache('product', store, gateView);
  /** One fetch as the data source makes it: memory first, then the subgraph for the rest. */
  const fetch = (ids: string[], answer: (sent: unknown[]) => GraphQLAnswer, hint: CacheHint = PUBLIC) => {
    const started = cache.begin(fetchOf(...ids))!;
    if (started.missing.length === 0) return { result: started.answer(), sent: [] as unknown[], hint: started.hint };
    const sent = started.variablesToSend().representations as unknown[];
    return { result: started.complete(answer(sent), hint), sent, hint: started.hint };
  };
  const subgraph = (sent: unknown[]): GraphQLAnswer => ({ data: { _entities: sent.map((r) => entity((r as { id: string }).id)) } });
  return { cache, gate, store, fetch, subgraph, tick: (ms: number) => (now += ms) };
}

describe('the router’s entity cache', () => {
  it('answers a repeated entity fetch from memory, with copies the gateway may change', () => {
    const { fetch, subgraph } = setup();
    const first = fetch(['a', 'b'], subgraph);
    expect(first.sent).toEqual([product('a'), product('b')]);
    expect(first.result).toEqual({ data: { _entities: [entity('a'), entity('b')] } });

    const again = fetch(['a', 'b'], () => {
      throw new Error('the subgraph was asked');
    });
    expect(again.sent).toEqual([]);
    expect(again.result).toEqual({ data: { _entities: [entity('a'), entity('b')] } });
    (again.result.data!._entities as Array<Record<string, unknown>>)[0]!.name = 'changed by the gateway';
    expect(fetch(['a'], subgraph).result).toEqual({ data: { _entities: [entity('a')] } });
  });

  it('sends only the missing representations and puts the answer back in the fetch’s order, error paths renumbered', () => {
    const { fetch, subgraph } = setup();
    fetch(['b', 'd'], subgraph);
    const { sent, result } = fetch(['a', 'b', 'c', 'd'], () => ({
      data: { _entities: [entity('a'), null] },
      errors: [{ message: 'c is gone', path: ['_entities', 1, 'name'] }],
    }));
    expect(sent).toEqual([product('a'), product('c')]);
    expect(result.data!._entities).toEqual([entity('a'), entity('b'), null, entity('d')]);
    expect(result.errors).toEqual([{ message: 'c is gone', path: ['_entities', 2, 'name'] }]);
    // 'a' was kept; 'c', which an error touched, was not.
    expect(fetch(['a', 'c'], subgraph).sent).toEqual([product('c')]);
  });

  it('says how much longer the entities from memory may be kept, for the answer’s Cache-Control', () => {
    const { fetch, subgraph, tick } = setup({ ttlMs: 60_000 });
    fetch(['a'], subgraph);
    tick(12_500);
    expect(fetch(['a'], subgraph).hint).toEqual({ maxAge: 18, scope: 'PUBLIC' });
  });

  it('keeps an entity no longer than its TTL, nor than the subgraph’s max-age', () => {
    const short = setup({ ttlMs: 5_000 });
    short.fetch(['a'], short.subgraph);
    short.tick(4_999);
    expect(short.fetch(['a'], short.subgraph).sent).toEqual([]);
    short.tick(1);
    expect(short.fetch(['a'], short.subgraph).sent).toEqual([product('a')]);

    const long = setup({ ttlMs: 60_000 });
    long.fetch(['a'], long.subgraph, { maxAge: 2, scope: 'PUBLIC' });
    long.tick(2_000);
    expect(long.fetch(['a'], long.subgraph).sent).toEqual([product('a')]);
  });

  it('keeps nothing from an answer that is private, has no max-age, or has an error it cannot place', () => {
    const { fetch, subgraph } = setup();
    fetch(['a'], subgraph, { maxAge: 30, scope: 'PRIVATE' });
    fetch(['b'], subgraph, { maxAge: 0 });
    fetch(['c'], (sent) => ({ ...subgraph(sent), errors: [{ message: 'something went wrong' }] }));
    expect(fetch(['a', 'b', 'c'], subgraph).sent).toEqual([product('a'), product('b'), product('c')]);
  });

  it('drops invalidated entities, and keeps no entity invalidated while its fetch was out', () => {
    const { cache, fetch, subgraph, tick } = setup();
    fetch(['a', 'b'], subgraph);
    cache.invalidate('Product', ['a']);
    expect(fetch(['a', 'b'], subgraph).sent).toEqual([product('a')]);

    const racing = cache.begin(fetchOf('c', 'd'))!;
    tick(5);
    cache.invalidate('Product', ['c', 'x']);
    tick(5);
    racing.complete(subgraph(racing.variablesToSend().representations as unknown[]), PUBLIC);
    expect(fetch(['c', 'd'], subgraph).sent).toEqual([product('c')]);

    // A fetch that began after the invalidation keeps what it read.
    tick(5);
    fetch(['c'], subgraph);
    expect(fetch(['c'], subgraph).sent).toEqual([]);
  });

  it('keeps nothing from a fetch that was out while memory was emptied', () => {
    const { cache, fetch, subgraph } = setup();
    const racing = cache.begin(fetchOf('a'))!;
    cache.clear();
    racing.complete(subgraph(racing.variablesToSend().representations as unknown[]), PUBLIC);
    expect(fetch(['a'], subgraph).sent).toEqual([product('a')]);
  });

  it('tells selections apart by the variables they use, but not by the client’s operation name', () => {
    const { cache, fetch, subgraph } = setup();
    fetch(['a'], subgraph);
    const renamed = { ...fetchOf('a'), query: QUERY.replace('Cart__product__1', 'OtherPage__product__2') };
    expect(cache.begin(renamed)!.missing).toEqual([]);

    const withStock = (value: boolean) => ({ query: QUERY, variables: { representations: [product('a')], withStock: value } });
    const started = cache.begin(withStock(false))!;
    expect(started.missing).toEqual([0]);
    expect(started.variablesToSend()).toEqual({ representations: [product('a')], withStock: false });
    started.complete({ data: { _entities: [{ name: 'Widget a' }] } }, PUBLIC);
    expect(cache.begin(withStock(false))!.missing).toEqual([]);
    expect(cache.begin(withStock(true))!.missing).toEqual([0]);
  });

  it('is bypassed while the generation is unknown or invalidations do not arrive, and forgets an older generation', () => {
    const { cache, gate, fetch, subgraph } = setup();
    fetch(['a'], subgraph);
    gate.live = false;
    expect(cache.begin(fetchOf('a'))).toBeNull();
    gate.live = true;
    gate.generation = null;
    expect(cache.begin(fetchOf('a'))).toBeNull();
    gate.generation = 2;
    expect(fetch(['a'], subgraph).sent).toEqual([product('a')]);
  });

  it('keeps nothing read while invalidations were not arriving', () => {
    const { cache, gate, fetch, subgraph, tick } = setup();
    const started = cache.begin(fetchOf('a'))!;
    gate.live = false;
    tick(10);
    gate.live = true;
    gate.liveSince = 1_000_010;
    started.complete(subgraph(started.variablesToSend().representations as unknown[]), PUBLIC);
    tick(10);
    expect(fetch(['a'], subgraph).sent).toEqual([product('a')]);
  });

  it('leaves other fetches and other representations to the subgraph', () => {
    const { cache, fetch, subgraph } = setup();
    expect(cache.begin({ query: '{ products { edges { node { id } } } }', variables: {} })).toBeNull();
    expect(cache.begin({ query: 'mutation { _entities(representations: []) }', variables: { representations: [] } })).toBeNull();
    const bySku = {
      query: QUERY,
      variables: {
        representations: [
          { __typename: 'Product', sku: 'SKU-1' },
          { __typename: 'Product', id: 'a', price: 3 },
        ],
      },
    };
    const first = cache.begin(bySku)!;
    first.complete({ data: { _entities: [entity('s'), entity('a')] } }, PUBLIC);
    expect(cache.begin(bySku)!.missing).toEqual([0, 1]);
    // A fetch with another selection is another entry.
    fetch(['a'], subgraph);
    expect(cache.begin({ ...fetchOf('a'), query: QUERY.replace('name stock', 'name') })!.missing).toEqual([0]);
  });

  it('hands back an answer that is not one to these representations as it came, errors renumbered', () => {
    const { cache, fetch, subgraph } = setup();
    fetch(['b'], subgraph);
    const started = cache.begin(fetchOf('b', 'a'))!;
    const failed = started.complete({ data: null, errors: [{ message: 'down', path: ['_entities', 0] }] }, PUBLIC);
    expect(failed).toEqual({ data: null, errors: [{ message: 'down', path: ['_entities', 1] }] });
    const odd = cache.begin(fetchOf('b', 'c'))!.complete({ data: { _entities: [] }, errors: [{ message: 'odd', path: ['_entities', 0, 'name'] }] }, PUBLIC);
    expect(odd).toEqual({ data: { _entities: [] }, errors: [{ message: 'odd', path: ['_entities', 1, 'name'] }] });
    // Nothing of either was kept.
    expect(cache.begin(fetchOf('a', 'c'))!.missing).toEqual([0, 1]);
  });
});
