/**
 * When each key was last invalidated, remembered for `windowMs`: a cache asks it whether a
 * value read at some moment may still be kept, or whether an invalidation came after that
 * read began. At most about `maxKeys` keys are held; the oldest go first once past the window.
 */
export class RecentInvalidations {
  // Kept in time order (re-inserted on every invalidation), so pruning stops at the first recent key.
  private readonly at = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  record(keys: Iterable<string>, now: number): void {
    if (this.at.size > this.maxKeys) {
      for (const [key, when] of this.at) {
        if (when >= now - this.windowMs) break;
        this.at.delete(key);
      }
    }
    for (const key of keys) {
      this.at.delete(key);
      this.at.set(key, now);
    }
  }

  /** Whether `key` was invalidated at or after `startedAt` (as far as the window reaches back). */
  since(key: string, startedAt: number): boolean {
    return (this.at.get(key) ?? -Infinity) >= startedAt;
  }
}
