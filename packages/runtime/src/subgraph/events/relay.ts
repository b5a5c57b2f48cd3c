import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { EventEnvelope, EventType } from '@shop/contracts';
import { throttledLog, type Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import type { Selectable } from 'kysely';
import type { EventTables, OutboxTable } from './tables';

type OutboxRow = Selectable<OutboxTable>;

export interface Publisher {
  publish(event: EventEnvelope): Promise<void>;
}

export interface RelayOptions {
  pollMs: number;
  batchSize?: number;
  log: Logger;
  metrics?: Metrics;
}

/**
 * Publishes the outbox in order. Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas
 * share the work; a row is marked published only after the broker confirmed it. While the
 * broker is down rows simply wait, and the relay backs off.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private again = false;
  private stopped = true;
  /** Set by stop(): a pass under way ends after its current batch. */
  private stopRequested = false;
  private failures = 0;
  private readonly logThrottled = throttledLog(10_000);

  constructor(
    private readonly db: Kysely<any>,
    private readonly publisher: Publisher,
    private readonly options: RelayOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.stopRequested = false;
    this.kick();
  }

  /** Publish now (after a commit that wrote events) instead of at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
        return;
      }
      const backoff = this.failures === 0 ? this.options.pollMs : Math.min(30_000, this.options.pollMs * 2 ** this.failures);
      this.timer = setTimeout(() => this.kick(), backoff);
    });
  }

  /** Stops polling; a pass under way finishes the batch it holds (rows left wait for the next relay). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRequested = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Publishes until the outbox is empty, the broker fails, or stop() is called. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, failed } = await this.publishBatch();
      total += published;
      if (failed) {
        this.failures += 1;
        return total;
      }
      this.failures = 0;
      if (published < (this.options.batchSize ?? 100) || this.stopRequested) return total;
    }
  }

  private async publishBatch(): Promise<{ published: number; failed: boolean }> {
    const { log, metrics } = this.options;
    try {
      return await (this.db as Kysely<EventTables>).transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('outbox')
          .selectAll()
          .where('published_at', 'is', null)
          .orderBy('occurred_at')
          .orderBy('id')
          .limit(this.options.batchSize ?? 100)
          .forUpdate()
          .skipLocked()
          .execute();
        let published = 0;
        for (const row of rows) {
          try {
            await this.publisher.publish(toEnvelope(row));
          } catch (error) {
            await trx
              .updateTable('outbox')
              .set({ attempts: sql`attempts + 1`, last_error: String((error as Error).message ?? error).slice(0, 500) })
              .where('id', '=', row.id)
              .execute();
            metrics?.eventsPublished.inc({ type: row.type, outcome: 'failed' });
            this.logThrottled('publish', () => log.warn({ err: error, eventId: row.id, type: row.type }, 'outbox publish failed; will retry'));
            await markPublished(trx, rows.slice(0, published));
            return { published, failed: true };
          }
          metrics?.eventsPublished.inc({ type: row.type, outcome: 'published' });
          published += 1;
        }
        await markPublished(trx, rows);
        return { published, failed: false };
      });
    } catch (error) {
      this.logThrottled('batch', () => log.warn({ err: error }, 'outbox relay failed; will retry'));
      return { published: 0, failed: true };
    }
  }
}

async function markPublished(trx: Kysely<EventTables>, rows: OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .updateTable('outbox')
    .set({ published_at: sql`now()` })
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
}

function toEnvelope(row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventType,
    occurredAt: row.occurred_at.toISOString(),
    aggregateId: row.aggregate_id,
    version: row.version,
    traceparent: row.traceparent,
    payload: row.payload as EventEnvelope['payload'],
  };
}
