import { runCli } from './cli';
import { closeDatabases, describeMigration, migrateAll } from './db/databases';

runCli(async () => {
  const opened = await migrateAll(process.env, (database) => process.stdout.write(`${describeMigration(database)}\n`));
  await closeDatabases(opened);
});
