import {
  Kysely,
  Migrator,
  PostgresDialect,
  type KyselyPlugin,
  type Migration,
  type MigrationProvider,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { Client, Pool } from 'pg';
import type { RequestScope } from '../../observability/trace';

export interface DatabaseOptions {
  /** Server URL without a database, e.g. postgres://postgres@127.0.0.1:5432 */
  url: string;
  database: string;
  poolSize?: number;
  /** Called for every statement, for metrics. */
  onQuery?: () => void;
  /** A pooled connection was closed by the server (a restart, a failover), idle or between statements. */
  onConnectionError?: (error: Error) => void;
}

function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Each subgraph owns its database and creates it on first start. */
export async function ensureDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(url, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount) return;
    try {
      await client.query(`create database ${quoteIdent(database)}`);
    } catch (error) {
      // Two replicas starting together: the loser sees duplicate_database (42P04) or a unique
      // violation on pg_database (23505); either way the database now exists.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists ${quoteIdent(database)} with (force)`);
  } finally {
    await client.end();
  }
}

/**
 * A Kysely instance on the subgraph's own database. `onQuery` hears of every statement;
 * `requestDatabase` gives a request its own handle that also counts them into its scope.
 */
export function createDatabase<DB>(options: DatabaseOptions): Kysely<DB> {
  const pool = new Pool({
    connectionString: databaseUrl(options.url, options.database),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // pg emits a dead connection's error on the client (and, when idle, on the pool too); an
  // unheard 'error' event would end the process. A statement in flight fails on its own; the
  // pool drops the connection and the next query opens a fresh one.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log(event) {
      if (event.level === 'query') options.onQuery?.();
    },
  });
}

/** Counts each statement that completes into a request's scope. */
class CountStatements implements KyselyPlugin {
  constructor(private readonly scope: RequestScope) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.scope.sqlStatements += 1;
    return args.result;
  }
}

/**
 * The database as one request uses it: the same pool, with every statement (transactions
 * included) counted into the request's scope, so tests and the benchmark can see how many a
 * request cost. Cheap: a wrapper around the shared executor, made per request.
 */
export function requestDatabase<DB>(db: Kysely<DB>, scope: RequestScope): Kysely<DB> {
  return db.withPlugin(new CountStatements(scope));
}

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/** Migrations live in code (one module per step), so the built output carries them. */
export async function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(migrations) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pingDatabase(db: Kysely<any>): Promise<void> {
  await db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
}
