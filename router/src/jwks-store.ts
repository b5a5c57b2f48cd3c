import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '@shop/runtime';

export interface JwksStoreOptions {
  url: string;
  log: Logger;
  /** How often the key set is fetched again in the background (default 10 minutes). */
  refreshMs?: number;
  /** How long the last good key set is used while fetches fail (default 24 h). */
  staleMs?: number;
  /** Least time between two fetches caused by an unknown kid (default 30 s). */
  cooldownMs?: number;
  /** Longest wait for the key server (default 2 s). */
  timeoutMs?: number;
  now?: () => number;
}

export interface JwksStore {
  /** jose's key lookup over the last good key set; throws a non-JOSE error when there is none to use. */
  getKey: JWTVerifyGetKey;
  close(): void;
}

export class JwksUnavailableError extends Error {}

interface GoodKeys {
  fetchedAt: number;
  lookup: ReturnType<typeof createLocalJWKSet>;
}

/**
 * The user subgraph's JWKS, kept in memory. The first fetch starts at once without holding up
 * start-up; after that the set is fetched again in the background every `refreshMs` and on an
 * unknown kid (at most once per `cooldownMs`, so forged kids cannot hammer the key server).
 * A failed fetch keeps the last good set for up to `staleMs` after it was fetched, so a short
 * outage of the key server locks nobody out; a set that was fetched successfully replaces the
 * old one whole, so a withdrawn key stops being honoured at once.
 */
export function createJwksStore(options: JwksStoreOptions): JwksStore {
  const refreshMs = options.refreshMs ?? 10 * 60_000;
  const staleMs = options.staleMs ?? 24 * 3_600_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const now = options.now ?? Date.now;
  let good: GoodKeys | null = null;
  let lastAttempt = -Infinity;
  let inFlight: Promise<boolean> | null = null;

  const fetchOnce = async (): Promise<boolean> => {
    lastAttempt = now();
    try {
      const res = await fetch(options.url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`the key server answered HTTP ${res.status}`);
      const body = (await res.json()) as JSONWebKeySet;
      if (typeof body !== 'object' || body === null || !Array.isArray(body.keys)) throw new Error('the key server did not answer a JWKS');
      good = { fetchedAt: now(), lookup: createLocalJWKSet(body) };
      return true;
    } catch (error) {
      options.log.warn(
        { err: error, jwksUrl: options.url, lastGoodAgeSeconds: good ? Math.round((now() - good.fetchedAt) / 1000) : null },
        'could not fetch the JWKS; keeping the last good keys while they are fresh enough',
      );
      return false;
    }
  };
  /** One fetch at a time; callers share it. Whether it succeeded; never rejects. */
  const refresh = () => (inFlight ??= fetchOnce().finally(() => (inFlight = null)));

  const usable = (): GoodKeys | null => (good && now() - good.fetchedAt <= staleMs ? good : null);

  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  void refresh();

  const getKey: JWTVerifyGetKey = async (header, token) => {
    // A clock (or a timer) past the refresh time: fetch in the background, keep going with what we have.
    if (good && now() - good.fetchedAt >= refreshMs && now() - lastAttempt >= cooldownMs) void refresh();
    let keys = usable();
    if (!keys) {
      await refresh();
      keys = usable();
      if (!keys) throw new JwksUnavailableError('No JWKS fetched, or the last good one is too old');
    }
    try {
      return await keys.lookup(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - lastAttempt < cooldownMs) throw error;
      // A kid we do not know, and the key server cannot be asked: not the token's fault.
      if (!(await refresh())) throw new JwksUnavailableError('Could not fetch the JWKS for an unknown kid');
      return usable()!.lookup(header, token);
    }
  };

  return { getKey, close: () => clearInterval(timer) };
}
