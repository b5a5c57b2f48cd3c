import type { GraphQLFormattedError } from 'graphql';
import type { Counter } from 'prom-client';
import { copyJson, type EntityStore } from './entity-store';

/** What decides whether the store may be used now: the subgraph's cache generation and its invalidation channel. */
export interface EntityCacheGate {
  /** The subgraph's cache generation; null while unknown (Redis unreachable): no caching then. */
  generation(): number | null;
  /** Whether invalidations reach this router now. */
  live(): boolean;
  /** Whether a read begun at `startedAt` may be kept: the channel was live throughout. */
  coversReadFrom(startedAt: number): boolean;
}

export interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

interface FetchRequest {
  query?: string;
  variables?: Record<string, unknown>;
}

/** A subgraph's GraphQL answer, as the gateway's data sources return it. */
export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<GraphQLFormattedError>;
  extensions?: Record<string, unknown>;
}

/**
 * The router's in-process cache of one subgraph's public entities. The gateway fetches
 * entities with `_entities(representations: …)`; those of them held here are answered from
 * memory and only the rest are sent. An entity is kept only when the subgraph's answer says
 * `Cache-Control: public` with a max-age (the product catalogue), for the sooner of that
 * max-age and the store's TTL, and dropped when the subgraph invalidates it: it publishes
 * the ids of the `Product`s it changed on its invalidation channel, as for its own replicas,
 * before it answers the write (or publishes the event) that changed them, so the router has
 * heard of the change before the next request that could know of it.
 * Only `{ __typename, id }` representations are cached (not other keys, nor `@requires` data).
 */
export class SubgraphEntityCache {
  constructor(
    readonly subgraph: string,
    private readonly store: EntityStore,
    private readonly gate: EntityCacheGate,
    private readonly lookups?: Counter<'subgraph' | 'result'>,
  ) {}

  invalidate(type: string, ids: readonly string[]): void {
    this.store.invalidate(type, ids);
  }

  clear(): void {
    this.store.clear();
  }

  /** An entity fetch this cache can take part in, with what memory already holds; null for any other fetch, or while the cache is off. */
  begin(request: FetchRequest): EntityFetch | null {
    const representations = request.variables?.representations;
    const query = request.query;
    if (!Array.isArray(representations) || query === undefined || !query.startsWith('query') || !query.includes('_entities(')) return null;
    const generation = this.gate.generation();
    if (generation === null || !this.gate.live()) return null;
    const selection = selectionKey(query, request.variables!);
    const now = this.store.now();
    const found: Array<Record<string, unknown> | undefined> = new Array(representations.length);
    const keys = representations.map(entityKey);
    const missing: number[] = [];
    let maxAge = Infinity;
    for (let i = 0; i < representations.length; i++) {
      const key = keys[i] ?? null;
      const entry = key === null ? undefined : this.store.get(generation, key, selection, now);
      if (entry) {
        found[i] = copyJson(entry.data) as Record<string, unknown>;
        maxAge = Math.min(maxAge, Math.max(0, entry.maxAge - Math.floor((now - entry.storedAt) / 1000)));
      } else {
        missing.push(i);
      }
    }
    if (missing.length > 0) this.lookups?.inc({ subgraph: this.subgraph, result: 'miss' }, missing.length);
    const hint: CacheHint | null = missing.length < representations.length ? { maxAge, scope: 'PUBLIC' } : null;
    const started = { generation, clears: this.store.clearCount, startedAt: now, selection };
    return new EntityFetch(this.store, this.gate, started, request, representations, keys, found, missing, hint, (hits) =>
      this.lookups?.inc({ subgraph: this.subgraph, result: 'hit' }, hits),
    );
  }
}

/**
 * What an entity's stored shape depends on besides its key: the fetch's text without its
 * operation name (the client's, carried into every fetch name), and any variables the selection
 * uses besides the representations (`stock @include(if: $withStock)`).
 */
function selectionKey(query: string, variables: Record<string, unknown>): string {
  const start = query.search(/[({]/);
  const text = start > 0 ? query.slice(start) : query;
  let others: Record<string, unknown> | null = null;
  for (const name in variables) if (name !== 'representations') (others ??= {})[name] = variables[name];
  return others ? `${text}\n${JSON.stringify(others)}` : text;
}

/** `<type>:<id>` for a representation made of exactly `__typename` and `id`; null for any other. */
function entityKey(representation: unknown): string | null {
  if (representation === null || typeof representation !== 'object') return null;
  const { __typename: type, id } = representation as Record<string, unknown>;
  if (typeof type !== 'string' || typeof id !== 'string') return null;
  let fields = 0;
  for (const _ in representation) fields++;
  return fields === 2 ? `${type}:${id}` : null;
}

/** One `_entities` fetch split into what memory answered and what is still to be asked. */
export class EntityFetch {
  constructor(
    private readonly store: EntityStore,
    private readonly gate: EntityCacheGate,
    private readonly started: { generation: number; clears: number; startedAt: number; selection: string },
    private readonly request: FetchRequest,
    private readonly representations: readonly unknown[],
    /** Each representation's `<type>:<id>`, or null when it is not one this cache keeps. */
    private readonly keys: readonly (string | null)[],
    private readonly found: Array<Record<string, unknown> | undefined>,
    /** Indexes (into the fetch's representations) still to be asked of the subgraph. */
    readonly missing: readonly number[],
    /** For the answer's Cache-Control: what the entities from memory may still be kept for. */
    readonly hint: CacheHint | null,
    private readonly countHits: (hits: number) => void,
  ) {}

  /** The whole answer, when memory held every entity. */
  answer(): GraphQLAnswer {
    this.countHits(this.found.length);
    return { data: { _entities: this.found } };
  }

  /** The variables to send: the fetch's, with only the missing representations. */
  variablesToSend(): Record<string, unknown> {
    if (this.missing.length === this.representations.length) return this.request.variables!;
    return { ...this.request.variables, representations: this.missing.map((i) => this.representations[i]) };
  }

  /**
   * The subgraph's answer to the missing representations, put back together with the ones
   * from memory: `_entities` in the fetch's order, error paths renumbered to match. Entities
   * the answer marks public are kept, unless an error touched them or an invalidation came
   * while the fetch was out.
   */
  complete(answer: GraphQLAnswer, hint: CacheHint): GraphQLAnswer {
    const entities = answer.data?._entities;
    const errors = answer.errors?.map((error) => this.renumber(error));
    if (!Array.isArray(entities) || entities.length !== this.missing.length) {
      // Not an answer to these representations (the fetch failed as a whole): the gateway handles it as sent.
      return errors ? { ...answer, errors } : answer;
    }
    const all = this.found.slice();
    this.missing.forEach((index, j) => (all[index] = entities[j] as Record<string, unknown> | undefined));
    if (all.length > this.missing.length) this.countHits(all.length - this.missing.length);
    if (this.keepable(hint)) this.keep(entities, answer.errors, hint.maxAge);
    const merged: GraphQLAnswer = { ...answer, data: { ...answer.data, _entities: all } };
    if (errors) merged.errors = errors;
    return merged;
  }

  private keepable(hint: CacheHint): boolean {
    const { generation, clears, startedAt } = this.started;
    return (
      hint.scope === 'PUBLIC' &&
      hint.maxAge > 0 &&
      this.store.clearCount === clears &&
      this.gate.generation() === generation &&
      this.gate.coversReadFrom(startedAt)
    );
  }

  private keep(entities: unknown[], errors: GraphQLAnswer['errors'], maxAge: number): void {
    const failed = new Set<number>();
    for (const error of errors ?? []) {
      if (error.path?.[0] === '_entities' && typeof error.path[1] === 'number') failed.add(error.path[1]);
      else return; // an error this fetch cannot place: keep nothing from it
    }
    const { generation, startedAt, selection } = this.started;
    const now = this.store.now();
    entities.forEach((entity, j) => {
      const key = this.keys[this.missing[j]!] ?? null;
      if (key === null || failed.has(j) || entity === null || typeof entity !== 'object' || Array.isArray(entity)) return;
      // An invalidation of this entity heard while the fetch was out may have come after the subgraph read it.
      if (!this.store.unchangedSince(key, startedAt)) return;
      this.store.put(generation, key, selection, copyJson(entity as Record<string, unknown>), maxAge, now);
    });
  }

  private renumber(error: GraphQLFormattedError): GraphQLFormattedError {
    const path = error.path;
    if (!path || path[0] !== '_entities' || typeof path[1] !== 'number') return error;
    const index = this.missing[path[1]];
    return index === undefined ? error : { ...error, path: ['_entities', index, ...path.slice(2)] };
  }
}
