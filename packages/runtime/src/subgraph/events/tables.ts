import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';

/** Rows of the transactional outbox and the consumer inbox, present in every subgraph. */
export interface OutboxTable {
  id: string;
  type: string;
  aggregate_id: string;
  version: number;
  payload: ColumnType<unknown, string, string>;
  traceparent: string | null;
  occurred_at: ColumnType<Date, Date | undefined, never>;
  published_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface InboxTable {
  event_id: string;
  type: string;
  processed_at: Generated<Date>;
}

export interface EventTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}

export const eventTablesMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('aggregate_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('traceparent', 'text')
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('published_at', 'timestamptz')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .execute();
    await sql`create index outbox_unpublished on outbox (occurred_at, id) where published_at is null`.execute(db);
    await db.schema
      .createTable('inbox')
      .addColumn('event_id', 'uuid', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('inbox').execute();
    await db.schema.dropTable('outbox').execute();
  },
};
