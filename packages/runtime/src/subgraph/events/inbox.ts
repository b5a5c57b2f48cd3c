import type { Kysely, Transaction } from 'kysely';
import type { ConsumerName, EventEnvelope, EventType } from '@shop/contracts';
import type { EventBus, EventOutcome } from '../../events/bus';
import type { EventTables } from './tables';

/** What a handler may ask to run once its transaction has committed (cache invalidation). */
export type AfterCommit = () => void | Promise<void>;

export type EventHandler<DB> = (trx: Transaction<DB & EventTables>, event: EventEnvelope) => Promise<AfterCommit | void>;

/**
 * Consumes a subgraph's queue through its inbox: each event runs in a transaction that first
 * records its id in the inbox, so a redelivered event finds its id there and is acknowledged
 * untouched. A database outage is waited out; any other failure counts against the event.
 */
export function consumeWithInbox<DB>(
  bus: EventBus,
  consumer: ConsumerName,
  db: Kysely<DB & EventTables>,
  handlers: Partial<Record<EventType, EventHandler<DB>>>,
): void {
  bus.consume(
    consumer,
    async (event): Promise<EventOutcome> => {
      const handler = handlers[event.type];
      if (!handler) return 'ignored';
      return (await applyOnce(db, event, handler)) ? 'applied' : 'duplicate';
    },
    isTransient,
  );
}

async function applyOnce<DB>(db: Kysely<DB & EventTables>, event: EventEnvelope, handler: EventHandler<DB>): Promise<boolean> {
  let afterCommit: AfterCommit | undefined;
  const applied = await db.transaction().execute(async (trx) => {
    const inserted = await (trx as unknown as Transaction<EventTables>)
      .insertInto('inbox')
      .values({ event_id: event.id, type: event.type })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!inserted) return false;
    afterCommit = (await handler(trx, event)) ?? undefined;
    return true;
  });
  await afterCommit?.();
  return applied;
}

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
// Connection exceptions (08…), shutdowns (57P01-03), too many connections, and the
// serialization/deadlock failures a retry resolves.
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);

/** An error that says nothing about the event: the database could not be reached or raced. */
export function isTransient(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(message);
}
