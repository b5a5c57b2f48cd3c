import type { Redis } from 'ioredis';
import { throttledLog, type Logger } from '../observability/logger';

interface InvalidationMessage {
  entity: string;
  ids: string[];
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
  private readonly dropListeners = new Set<() => void>();
  private subscribed = false;
  private stopped = false;
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

  /** `onInvalidate`: ids another replica (or this one) invalidated; `onDrop`: the subscription was lost. */
  listen(entity: string, onInvalidate: (ids: string[]) => void, onDrop: () => void): void {
    this.listeners.set(entity, onInvalidate);
    this.dropListeners.add(onDrop);
  }

  /** Throws when Redis is unreachable: the caller treats that as a missed invalidation. */
  async publish(entity: string, ids: readonly string[]): Promise<void> {
    const message: InvalidationMessage = { entity, ids: [...ids] };
    await this.redis.publish(this.channel, JSON.stringify(message));
  }

  stop(): void {
    this.stopped = true;
    this.drop();
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.subscriber.subscribe(this.channel);
      this.subscribed = true;
    } catch (error) {
      this.logThrottled('subscribe', () => this.log.warn({ err: error }, 'could not subscribe to cache invalidations'));
    }
  }

  private drop(): void {
    const wasLive = this.subscribed;
    this.subscribed = false;
    if (wasLive || this.stopped) for (const onDrop of this.dropListeners) onDrop();
  }

  private receive(text: string): void {
    let message: InvalidationMessage;
    try {
      message = JSON.parse(text) as InvalidationMessage;
    } catch {
      return;
    }
    if (!Array.isArray(message.ids)) return;
    this.listeners.get(message.entity)?.(message.ids.filter((id) => typeof id === 'string'));
  }
}
