export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([key, value]) => s.labels[key] === value))
    .reduce((total, s) => total + s.value, 0);
}

/** One service's counters, summed over every GraphQL operation label. */
export interface Counters {
  sqlStatements: number;
  cacheHits: number;
  cacheMisses: number;
  /** GraphQL requests this service answered. */
  requests: number;
  /** CPU time the service's process used (user + system). */
  cpuSeconds: number;
}

export function countersOf(samples: Sample[]): Counters {
  return {
    sqlStatements: sum(samples, 'sql_statements_total'),
    cacheHits: sum(samples, 'cache_lookups_total', { result: 'hit' }),
    cacheMisses: sum(samples, 'cache_lookups_total', { result: 'miss' }),
    requests: sum(samples, 'graphql_request_duration_seconds_count'),
    cpuSeconds: sum(samples, 'process_cpu_seconds_total'),
  };
}

export type Snapshot<K extends string = string> = Record<K, Counters>;

export function diffCounters(before: Counters, after: Counters): Counters {
  return {
    sqlStatements: after.sqlStatements - before.sqlStatements,
    cacheHits: after.cacheHits - before.cacheHits,
    cacheMisses: after.cacheMisses - before.cacheMisses,
    requests: after.requests - before.requests,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
  };
}

export function diffSnapshots<K extends string>(before: Snapshot<K>, after: Snapshot<K>): Snapshot<K> {
  return Object.fromEntries(Object.keys(after).map((key) => [key, diffCounters(before[key as K], after[key as K])])) as Snapshot<K>;
}

export function totalOf(snapshot: Snapshot): Counters {
  return Object.values(snapshot).reduce(
    (total, c) => ({
      sqlStatements: total.sqlStatements + c.sqlStatements,
      cacheHits: total.cacheHits + c.cacheHits,
      cacheMisses: total.cacheMisses + c.cacheMisses,
      requests: total.requests + c.requests,
      cpuSeconds: total.cpuSeconds + c.cpuSeconds,
    }),
    { sqlStatements: 0, cacheHits: 0, cacheMisses: 0, requests: 0, cpuSeconds: 0 },
  );
}

/** Hits over lookups, or null when nothing was looked up (cache off, or no cached reads). */
export function hitRatio(counters: Counters): number | null {
  const lookups = counters.cacheHits + counters.cacheMisses;
  return lookups === 0 ? null : counters.cacheHits / lookups;
}

/** Reads /metrics of each service. */
export async function readSnapshot<K extends string>(metricsUrls: Record<K, string>): Promise<Snapshot<K>> {
  const entries = await Promise.all(
    (Object.entries(metricsUrls) as Array<[K, string]>).map(async ([name, url]) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
      return [name, countersOf(parsePrometheus(await response.text()))] as const;
    }),
  );
  return Object.fromEntries(entries) as Snapshot<K>;
}
