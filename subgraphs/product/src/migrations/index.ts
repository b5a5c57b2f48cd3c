import type { Migration } from 'kysely';
import { eventRetentionMigration, eventTablesMigration } from '@shop/runtime/subgraph';
import * as products from './2026-11-28T0001-products';

export const migrations: Record<string, Migration> = {
  '2026-11-28T0000-events': eventTablesMigration,
  '2026-11-28T0001-products': products,
  '2026-11-29T0000-event-retention': eventRetentionMigration,
};
