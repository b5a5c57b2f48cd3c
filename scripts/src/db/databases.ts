import { createDatabase, ensureDatabase, migrateToLatest } from '@shop/runtime/subgraph';
import { serviceEnv, SUBGRAPH_MODULES, SUBGRAPH_NAMES, type SubgraphConfig, type SubgraphName } from '../subgraphs';

export type Database = ReturnType<typeof createDatabase<any>>;

export interface SubgraphDatabase {
  name: SubgraphName;
  config: SubgraphConfig;
  db: Database;
  /** Migrations this call applied, oldest first; empty when it was up to date. */
  applied: string[];
}

export type SubgraphDatabases = Record<SubgraphName, Database>;

/** Parses every subgraph's config first, so a bad value stops before anything is touched. */
export function subgraphConfigs(env: NodeJS.ProcessEnv): Record<SubgraphName, SubgraphConfig> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, SUBGRAPH_MODULES[name].parseConfig(serviceEnv(name, env))])) as Record<
    SubgraphName,
    SubgraphConfig
  >;
}

/** Creates the subgraph's database when missing and migrates it to the latest version. */
export async function openSubgraphDatabase(name: SubgraphName, config: SubgraphConfig): Promise<SubgraphDatabase> {
  await ensureDatabase(config.POSTGRES_URL, config.POSTGRES_DB);
  const db = createDatabase<any>({ url: config.POSTGRES_URL, database: config.POSTGRES_DB, poolSize: 4 });
  try {
    const applied = await migrateToLatest(db, SUBGRAPH_MODULES[name].migrations);
    return { name, config, db, applied };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** All four, one after another (each owns its database; order does not matter). */
export async function migrateAll(env: NodeJS.ProcessEnv, onMigrated?: (opened: SubgraphDatabase) => void): Promise<SubgraphDatabase[]> {
  const configs = subgraphConfigs(env);
  const opened: SubgraphDatabase[] = [];
  try {
    for (const name of SUBGRAPH_NAMES) {
      const database = await openSubgraphDatabase(name, configs[name]);
      opened.push(database);
      onMigrated?.(database);
    }
  } catch (error) {
    await closeDatabases(opened);
    throw error;
  }
  return opened;
}

export function byName(opened: SubgraphDatabase[]): SubgraphDatabases {
  return Object.fromEntries(opened.map((o) => [o.name, o.db])) as SubgraphDatabases;
}

export async function closeDatabases(opened: SubgraphDatabase[]): Promise<void> {
  await Promise.all(opened.map((o) => o.db.destroy()));
}

export function describeMigration(opened: SubgraphDatabase): string {
  const what = opened.applied.length ? `applied ${opened.applied.join(', ')}` : 'up to date';
  return `${opened.name.padEnd(8)} ${opened.config.POSTGRES_DB}: ${what}`;
}
