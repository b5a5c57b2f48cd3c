import type { Migration } from 'kysely';
import { positivePricesMigration } from '@shop/domain';
import { eventRetentionMigration, eventTablesMigration } from '@shop/runtime/subgraph';
import * as orders from './2026-11-28T0001-orders';

export const migrations: Record<string, Migration> = {
  '2026-11-28T0000-events': eventTablesMigration,
  '2026-11-28T0001-orders': orders,
  '2026-11-29T0000-event-retention': eventRetentionMigration,
  '2026-12-05T0000-positive-prices': positivePricesMigration,
};
