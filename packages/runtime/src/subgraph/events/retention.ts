import { sql, type Kysely, type Migration } from 'kysely';
import { throttledLog, type Logger } from '../../observability/logger';
import type { EventTables } from './tables';

/**
 * Indexes the retention deletes walk, so they never scan the whole outbox or inbox. Built
 * inside the migration's transaction, so writes to the two tables wait while they are built:
 * well under a second for the tables' sizes when this landed (see the README on upgrading).
 */
export const eventRetentionMigration: Migration = {
  async up(db: Kysely<any>) {
    await sql`create index if not exists outbox_published on outbox (published_at) where published_at is not null`.execute(db);
    await sql`create index if not exists inbox_processed on inbox (processed_at)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop index if exists inbox_processed`.execute(db);
    await sql`drop index if exists outbox_published`.execute(db);
  },
};

export interface EventRetentionOptions {
  /** Published outbox rows, and inbox records of applied events, are kept this long. */
  retentionHours: number;
  log: Logger;
  /** Between two passes (default an hour); the first runs a minute after start. */
  intervalMs?: number;
  firstRunMs?: number;
  /** Rows per DELETE: short statements, short locks. */
  batchSize?: number;
}

export interface PruneResult {
  outbox: number;
  inbox: number;
}

/**
 * Deletes what the event pipeline no longer needs, so neither table grows for ever: outbox
 * rows published longer ago than the retention, and inbox records older than it (a redelivery
 * that late would be applied again: the retention must outlive any replay of dead letters).
 * Unpublished rows are never touched, however old. Replicas may prune at once: a row is
 * deleted once, whoever gets it.
 */
export class EventRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Set by stop(): no pass is scheduled, and one in progress ends after its current batch. */
  private stopped = false;
  private readonly logThrottled = throttledLog(60_000);

  private readonly db: Kysely<EventTables>;

  /** `db`: any subgraph's database; only its outbox and inbox are touched. */
  constructor(
    db: Kysely<any>,
    private readonly options: EventRetentionOptions,
  ) {
    this.db = db as Kysely<EventTables>;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.options.firstRunMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over both tables, batch by batch until nothing old is left. */
  async prune(): Promise<PruneResult> {
    const batch = this.options.batchSize ?? 5_000;
    const cutoff = sql<Date>`now() - make_interval(hours => ${this.options.retentionHours})`;
    // SKIP LOCKED: replicas pruning at the same moment take different rows instead of waiting on each other.
    const outbox = await this.inBatches(batch, (limit) =>
      this.db
        .deleteFrom('outbox')
        .where('id', 'in', (eb) =>
          eb.selectFrom('outbox').select('id').where('published_at', 'is not', null).where('published_at', '<', cutoff).limit(limit).forUpdate().skipLocked(),
        )
        .executeTakeFirst(),
    );
    const inbox = await this.inBatches(batch, (limit) =>
      this.db
        .deleteFrom('inbox')
        .where('event_id', 'in', (eb) => eb.selectFrom('inbox').select('event_id').where('processed_at', '<', cutoff).limit(limit).forUpdate().skipLocked())
        .executeTakeFirst(),
    );
    return { outbox, inbox };
  }

  /** Deletes batch after batch until one comes back short, or stop() is called. */
  private async inBatches(batch: number, deleteUpTo: (limit: number) => Promise<{ numDeletedRows: bigint }>): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const deleted = Number((await deleteUpTo(batch)).numDeletedRows);
      total += deleted;
      if (deleted < batch) break;
    }
    return total;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.prune()
        .then(
          (pruned) => {
            if (pruned.outbox > 0 || pruned.inbox > 0) this.options.log.info({ ...pruned, retentionHours: this.options.retentionHours }, 'old events pruned');
          },
          (error: unknown) => this.logThrottled('prune', () => this.options.log.warn({ err: error }, 'pruning old events failed; the next pass tries again')),
        )
        .finally(() => {
          this.running = null;
          this.schedule(this.options.intervalMs ?? 3_600_000);
        });
    }, delayMs);
    this.timer.unref();
  }
}
