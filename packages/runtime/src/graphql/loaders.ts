import DataLoader from 'dataloader';

/**
 * A per-request loader for rows by a unique key: one batch call per tick, results put back
 * in the order of the keys, null for a key with no row.
 */
export function uniqueLoader<K extends string, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (row: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A per-request loader for the rows that belong to each parent key (lines of an order). */
export function groupedLoader<K extends string, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  parentOf: (row: V) => K,
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(parentOf(row))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}
