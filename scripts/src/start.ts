import { join, resolve } from 'node:path';
import { parseConfig as parseRouterConfig, ROUTER_NODE_FLAGS } from '@shop/router';
import { countProducts } from '@shop/product-subgraph';
import { runCli } from './cli';
import { byName, closeDatabases, describeMigration, migrateAll, subgraphConfigs } from './db/databases';
import { REPO_ROOT } from './paths';
import { DEMO_ACCOUNTS, DEMO_DATASET, seedDataset } from './seed/dataset';
import { createProgress } from './seed/progress';
import { serviceEnv, SUBGRAPH_NAMES } from './subgraphs';
import { DEFAULT_RESTART_POLICY, Supervisor, type ServiceSpec } from './start/supervisor';

/** Where a local client reaches a service bound to `host`. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The router follows the subgraphs' ports unless its own settings say otherwise (it has no
 * default of its own: unset, it would use the URLs in the supergraph file, which may name others).
 */
function routerSubgraphUrls(subgraphs: { spec: ServiceSpec; url: string }[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const urls: NodeJS.ProcessEnv = {};
  for (const { spec, url } of subgraphs) urls[`ROUTER_SUBGRAPH_${spec.name.toUpperCase()}_URL`] = url;
  const user = subgraphs.find(({ spec }) => spec.name === 'user')!;
  urls.AUTH_JWKS_URL = user.url.replace(/\/graphql$/, '/.well-known/jwks.json');
  return Object.fromEntries(Object.entries(urls).filter(([key]) => env[key] === undefined));
}

const say = (text: string) => process.stderr.write(`${text}\n`);

/** From here on the signal handler or a fatal exit ends the process. */
const untilExit = () => new Promise<never>(() => undefined);

runCli(async () => {
  // Every child must read and write the same development keys and router secret.
  const env: NodeJS.ProcessEnv = { ...process.env, SECRETS_DIR: resolve(process.env.SECRETS_DIR ?? join(REPO_ROOT, '.secrets')) };
  const configs = subgraphConfigs(env);
  const routerConfig = parseRouterConfig(serviceEnv('router', env));

  const supervisor = new Supervisor({
    cwd: REPO_ROOT,
    write: (text) => process.stdout.write(text),
    pretty: process.stdout.isTTY === true,
    restart: DEFAULT_RESTART_POLICY,
    // A failed start-up or a bad configuration: starting it again would not help.
    onFatalExit: (_service, _exit, reason) => {
      say(`${reason}; stopping the others`);
      void supervisor.stopAll().finally(() => process.exit(1));
    },
  });
  process.on('exit', () => supervisor.killAll());
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      say(`${signal} again: killing everything`);
      supervisor.killAll();
      process.exit(1);
    }
    say(`${signal}: stopping (press Ctrl-C again to kill)`);
    void supervisor.stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const opened = await migrateAll(env, (database) => say(`migrate ${describeMigration(database)}`));
  try {
    const databases = byName(opened);
    if ((await countProducts(databases.product)) === 0) {
      if (configs.user.NODE_ENV === 'production') {
        say('the product database is empty; not seeding demo data with NODE_ENV=production');
      } else {
        say('the product database is empty: seeding the demo dataset');
        const progress = createProgress();
        await seedDataset(databases, DEMO_DATASET, { nodeEnv: configs.user.NODE_ENV, onProgress: progress.report });
        progress.finish();
      }
    }
  } finally {
    await closeDatabases(opened);
  }
  if (signals > 0) return untilExit();

  const subgraphs = SUBGRAPH_NAMES.map((name) => {
    const config = configs[name];
    const base = `http://${reachableHost(config.HOST)}:${config.PORT}`;
    const spec: ServiceSpec = {
      name,
      script: join(REPO_ROOT, 'subgraphs', name, 'dist', 'index.js'),
      env: { ...serviceEnv(name, env), PORT: String(config.PORT), POSTGRES_DB: config.POSTGRES_DB },
      readyUrl: `${base}/health/ready`,
    };
    return { spec, url: `${base}/graphql` };
  });
  const routerHost = reachableHost(routerConfig.HOST);
  const routerUrl = `http://${routerHost === '127.0.0.1' ? 'localhost' : routerHost}:${routerConfig.PORT}/graphql`;
  const router: ServiceSpec = {
    name: 'router',
    script: join(REPO_ROOT, 'router', 'dist', 'index.js'),
    nodeArgs: ROUTER_NODE_FLAGS,
    env: { ...routerSubgraphUrls(subgraphs, env), ...serviceEnv('router', env), PORT: String(routerConfig.PORT) },
    readyUrl: `http://${routerHost}:${routerConfig.PORT}/health/ready`,
  };

  try {
    const running = subgraphs.map(({ spec }) => supervisor.spawn(spec));
    await Promise.all(running.map((service) => supervisor.waitUntilReady(service)));
    if (supervisor.isStopping) return untilExit();
    await supervisor.waitUntilReady(supervisor.spawn(router));
  } catch (error) {
    if (supervisor.isStopping) return untilExit();
    say(`${(error as Error).message}; stopping the others`);
    await supervisor.stopAll();
    return 1;
  }
  if (supervisor.isStopping) return untilExit();

  const sandbox = routerConfig.NODE_ENV === 'development' ? '  (open it in a browser for Apollo Sandbox)' : '';
  const pid = (name: string) => supervisor.services.find((s) => s.spec.name === name)?.child.pid ?? '?';
  const demo =
    configs.user.NODE_ENV === 'production'
      ? []
      : ['Demo accounts (logIn mutation):', ...DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(22)} ${a.password.padEnd(18)} ${a.role}`), ''];
  process.stdout.write(
    [
      '',
      'The shop is running.',
      `  router   ${routerUrl}  pid ${pid('router')}${sandbox}`,
      ...subgraphs.map(({ spec, url }) => `  ${spec.name.padEnd(8)} ${url}  pid ${pid(spec.name)}  (accepts only requests signed by the router)`),
      'A process that exits after it was ready is started again (with a new pid; `ss -ltnp` shows who listens where).',
      '',
      ...demo,
      'Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );
  return untilExit();
});
