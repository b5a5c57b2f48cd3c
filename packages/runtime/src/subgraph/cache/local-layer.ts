export interface LocalLayerOptions {
  /** How long an entry is served from process memory at most, even if no invalidation comes. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * The in-process layer in front of Redis for data every caller may see (products, prices):
 * no round trip and no JSON parse for the hottest reads. Entries belong to one cache
 * generation and are frozen, since requests share them. Bounded: the oldest go first.
 */
export class LocalLayer<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private generation: number | null = null;
  private readonly now: () => number;

  constructor(private readonly options: LocalLayerOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Moves `found` entries out of `ids`: what is known here, and the ids still to look up. */
  take(generation: number, ids: readonly string[], found: Map<string, V>): string[] {
    this.use(generation);
    const now = this.now();
    const missing: string[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry && entry.until > now) {
        found.set(id, entry.value);
      } else {
        if (entry) this.entries.delete(id);
        missing.push(id);
      }
    }
    return missing;
  }

  put(generation: number, id: string, value: V): void {
    this.use(generation);
    if (value !== null && typeof value === 'object') Object.freeze(value);
    this.entries.delete(id);
    this.entries.set(id, { value, until: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(ids: readonly string[]): void {
    for (const id of ids) this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  /** A new generation orphans everything held for the old one. */
  private use(generation: number): void {
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
  }
}
