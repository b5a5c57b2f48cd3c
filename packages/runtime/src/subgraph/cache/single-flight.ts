interface PendingBatch<V> {
  ids: Set<string>;
  promise: Promise<Map<string, V>>;
}

/**
 * Process-wide single flight with a short batch window: concurrent misses on one key share one
 * database read, and misses from concurrent requests (the router fetches a cart's products and
 * an order's products in parallel) that arrive within `windowMs` go to Postgres together, as
 * one statement. Only for data every caller may see; per-user data is keyed per user anyway.
 */
export class SingleFlight<V> {
  private readonly inFlight = new Map<string, Promise<V | undefined>>();
  private pending: PendingBatch<V> | null = null;

  constructor(private readonly windowMs = 2) {}

  async load(ids: readonly string[], fetch: (ids: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const mine = ids.filter((id) => !this.inFlight.has(id));
    if (mine.length > 0) {
      const batch = this.enqueue(mine, fetch);
      for (const id of mine) {
        const promise = batch.then((rows) => rows.get(id));
        promise.catch(() => undefined);
        this.inFlight.set(id, promise);
      }
    }
    // Take every promise now: a settled batch removes its keys from the map.
    const waits = [...new Set(ids)].map((id) => [id, this.inFlight.get(id)!] as const);
    const result = new Map<string, V>();
    for (const [id, promise] of waits) {
      const value = await promise;
      if (value !== undefined) result.set(id, value);
    }
    return result;
  }

  /** Reads that start from now on do not join the reads already in flight for these keys. */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  private enqueue(ids: string[], fetch: (ids: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    if (!this.pending) {
      let start!: () => void;
      const started = new Promise<void>((resolve) => (start = resolve));
      const batchIds = new Set<string>();
      const pending: PendingBatch<V> = { ids: batchIds, promise: started.then(() => fetch([...batchIds])) };
      pending.promise
        .catch(() => undefined)
        .finally(() => {
          for (const id of pending.ids) this.inFlight.delete(id);
        });
      this.pending = pending;
      setTimeout(() => {
        this.pending = null;
        start();
      }, this.windowMs);
    }
    const pending = this.pending!;
    for (const id of ids) pending.ids.add(id);
    return pending.promise;
  }
}
