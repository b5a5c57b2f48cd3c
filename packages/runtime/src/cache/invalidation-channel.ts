import type { Redis } from 'ioredis';
import { throttledLog, type Logger } from '../observability/logger';

interface InvalidationMessage {
  entity: string;
  ids: string[];
  /** The federated type these ids are keys of, when they are (`Product`): the router caches those too. */
  type?: string;
}

/**
 * Tells every replica of a subgraph which ids were invalidated, over Redis pub/sub, so each
 * drops them from its in-process layer (`LocalLayer`). Pub/sub delivers at most once and only
 * to a live subscription: while the subscription is not live, `live` is false, in-process
 * layers are neither read nor filled, and they are emptied when it drops, so no entry that a
 * missed message should have removed is ever served.
 */
export class InvalidationChannel {
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, (ids: string[]) => void>();
  private readonly typeListeners = new Set<(type: string, ids: string[]) => void>();
  private readonly dropListeners = new Set<() => void>();
  private subscribed = false;
  /** When the current subscription went live; 0 while it is not. */
  private liveSince = 0;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly logThrottled = throttledLog(30_000);

  constructor(
    private readonly redis: Redis,
    /** The full channel name: pub/sub channels take no key prefix, so it is part of the name. */
    readonly channel: string,
    private readonly log: Logger,
  ) {
    // A subscribed connection can run nothing else, so the channel has its own, named after
    // the channel so that CLIENT LIST shows whose it is.
    this.subscriber = redis.duplicate({ connectionName: channel.replace(/[^\w:.-]/g, '_') });
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => this.drop());
    this.subscriber.on('error', (error) => this.logThrottled('subscriber', () => log.warn({ err: error }, 'cache invalidation channel unavailable')));
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
  }

  /** Whether invalidations from other replicas are reaching this one right now. */
  get live(): boolean {
    return this.subscribed;
  }

  /**
   * Whether a value read from Redis or Postgres at `readStartedAt` may go into memory: only if
   * the subscription has been live since before the read began. A read that overlapped an
   * outage may have raced a write whose invalidation message this replica never got.
   */
  coversReadFrom(readStartedAt: number): boolean {
    return this.subscribed && this.liveSince < readStartedAt;
  }

  /** `onInvalidate`: ids another replica (or this one) invalidated; `onDrop`: the subscription was lost. */
  listen(entity: string, onInvalidate: (ids: string[]) => void, onDrop: () => void): void {
    this.listeners.set(entity, onInvalidate);
    this.dropListeners.add(onDrop);
  }

  /**
   * For a cache outside the subgraph (the router's entity cache): `onInvalidate` hears every
   * invalidation of entities of a federated type, by their `id` key.
   */
  listenForTypes(onInvalidate: (type: string, ids: string[]) => void, onDrop: () => void): void {
    this.typeListeners.add(onInvalidate);
    this.dropListeners.add(onDrop);
  }

  /** Throws when Redis is unreachable: the caller treats that as a missed invalidation. */
  async publish(entity: string, ids: readonly string[], type?: string): Promise<void> {
    const message: InvalidationMessage = type ? { entity, ids: [...ids], type } : { entity, ids: [...ids] };
    await this.redis.publish(this.channel, JSON.stringify(message));
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.drop();
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    if (this.stopped || this.subscribed) return;
    try {
      await this.subscriber.subscribe(this.channel);
      this.liveSince = Date.now();
      this.subscribed = true;
    } catch (error) {
      // The layers stay off meanwhile (safe, only slower); try again while the connection is up.
      this.logThrottled('subscribe', () => this.log.warn({ err: error }, 'could not subscribe to cache invalidations; retrying'));
      if (!this.stopped && this.subscriber.status === 'ready') {
        this.retry = setTimeout(() => void this.subscribe(), 1_000);
        this.retry.unref();
      }
    }
  }

  private drop(): void {
    const wasLive = this.subscribed;
    this.subscribed = false;
    this.liveSince = 0;
    if (wasLive || this.stopped) for (const onDrop of this.dropListeners) onDrop();
  }

  private receive(text: string): void {
    let message: Partial<InvalidationMessage> | null;
    try {
      message = JSON.parse(text) as Partial<InvalidationMessage> | null;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.entity !== 'string' || !Array.isArray(message.ids)) return;
    const ids = message.ids.filter((id) => typeof id === 'string');
    this.listeners.get(message.entity)?.(ids);
    if (typeof message.type === 'string') for (const listener of this.typeListeners) listener(message.type, ids);
  }
}
