import { RecentInvalidations } from '@shop/runtime';

/** One entity as a subgraph's `_entities` answered it for one selection. */
export interface StoredEntity {
  /** Frozen; hand out copies (the gateway merges later fetches into what it is given). */
  data: Readonly<Record<string, unknown>>;
  storedAt: number;
  /** Served from memory until then: the sooner of the subgraph's max-age and the store's TTL. */
  until: number;
  /** The subgraph's Cache-Control max-age when it answered, in seconds. */
  maxAge: number;
}

export interface EntityStoreOptions {
  ttlMs: number;
  /** Most entities held (each with up to MAX_SELECTIONS selections); the oldest go first. */
  maxEntries: number;
  now?: () => number;
}

/** Distinct selections kept per entity: queries differ, but a handful of shapes cover a page. */
const MAX_SELECTIONS = 8;

/** How long an invalidation is remembered: longer than any fetch may take (its timeouts are 30 s). */
const REMEMBER_INVALIDATIONS_MS = 60_000;

/**
 * In-process entities of one subgraph, keyed `<type>:<id>` and then by the fetch's selection.
 * Entries belong to one cache generation of the subgraph. It remembers when each entity was
 * last invalidated, and counts clears, so a fetch that was out meanwhile keeps nothing stale.
 */
export class EntityStore {
  private readonly entries = new Map<string, Map<string, StoredEntity>>();
  private readonly invalidatedAt = new RecentInvalidations(REMEMBER_INVALIDATIONS_MS);
  private generation: number | null = null;
  private clears = 0;
  readonly now: () => number;

  constructor(private readonly options: EntityStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Moves whenever everything is dropped (a lost subscription, a new generation). */
  get clearCount(): number {
    return this.clears;
  }

  /** Whether an entity read by a fetch begun at `startedAt` may be kept: nothing invalidated it since. */
  unchangedSince(key: string, startedAt: number): boolean {
    return startedAt > this.now() - REMEMBER_INVALIDATIONS_MS && !this.invalidatedAt.since(key, startedAt);
  }

  get(generation: number, key: string, selection: string, now: number): StoredEntity | undefined {
    this.use(generation);
    const selections = this.entries.get(key);
    const entry = selections?.get(selection);
    if (!entry) return undefined;
    if (entry.until > now) return entry;
    selections!.delete(selection);
    if (selections!.size === 0) this.entries.delete(key);
    return undefined;
  }

  put(generation: number, key: string, selection: string, data: Record<string, unknown>, maxAgeSeconds: number, now: number): void {
    this.use(generation);
    const until = now + Math.min(this.options.ttlMs, maxAgeSeconds * 1000);
    if (until <= now) return;
    let selections = this.entries.get(key);
    if (selections) {
      this.entries.delete(key); // re-inserted below: the newest goes last
    } else {
      selections = new Map();
    }
    selections.delete(selection);
    selections.set(selection, { data: deepFreeze(data), storedAt: now, until, maxAge: maxAgeSeconds });
    while (selections.size > MAX_SELECTIONS) selections.delete(selections.keys().next().value!);
    this.entries.set(key, selections);
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  invalidate(type: string, ids: readonly string[]): void {
    const keys = ids.map((id) => `${type}:${id}`);
    for (const key of keys) this.entries.delete(key);
    this.invalidatedAt.record(keys, this.now());
  }

  clear(): void {
    this.clears++;
    this.entries.clear();
  }

  /** A new generation orphans everything held for the old one. */
  private use(generation: number): void {
    if (generation !== this.generation) {
      if (this.generation !== null) this.clear();
      this.generation = generation;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A fresh copy of stored JSON data, which the gateway may then change. */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyJson((value as Record<string, unknown>)[key]);
  return copy as T;
}
