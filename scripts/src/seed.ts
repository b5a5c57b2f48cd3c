import { runCli, UsageError } from './cli';
import { byName, closeDatabases, describeMigration, migrateAll, subgraphConfigs } from './db/databases';
import { parseSeedArgs, SEED_USAGE } from './seed/args';
import { datasetProblems, seedDataset } from './seed/dataset';
import { createProgress } from './seed/progress';

runCli(async () => {
  const spec = parseSeedArgs(process.argv.slice(2));
  if (spec === 'help') {
    process.stdout.write(`${SEED_USAGE}\n`);
    return 0;
  }
  const nodeEnv = subgraphConfigs(process.env).user.NODE_ENV;
  const problems = datasetProblems(spec, nodeEnv);
  if (problems.length) throw new UsageError(problems.join('\n'));

  const opened = await migrateAll(process.env, (database) => {
    if (database.applied.length) process.stderr.write(`${describeMigration(database)}\n`);
  });
  const progress = createProgress();
  try {
    const started = Date.now();
    const seeded = await seedDataset(byName(opened), spec, { nodeEnv, onProgress: progress.report });
    progress.finish();
    process.stdout.write(
      `seeded ${seeded.products} products, ${spec.demoAccounts ? 'the demo accounts, ' : ''}${seeded.userIds.length} users, ` +
        `${seeded.carts} carts, ${seeded.orders} orders in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    progress.finish();
    await closeDatabases(opened);
  }
});
