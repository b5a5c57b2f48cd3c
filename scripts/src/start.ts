import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { countProducts } from '@shop/product-subgraph';
import { runCli } from './cli';
import { byName, closeDatabases, describeMigration, migrateAll } from './db/databases';
import { REPO_ROOT } from './paths';
import { DEMO_ACCOUNTS, DEMO_DATASET, seedDataset } from './seed/dataset';
import { createProgress } from './seed/progress';
import { checkHaproxyConfig, findHaproxy, HAPROXY_INSTALL_HINT, haproxyArgs, haproxyConfig } from './start/haproxy';
import { parseStartArgs, planShop, START_USAGE, type ShopPlan } from './start/plan';
import { DEFAULT_RESTART_POLICY, Supervisor, type RunningService, type ServiceSpec } from './start/supervisor';

const say = (text: string) => process.stderr.write(`${text}\n`);

/** From here on the signal handler or a fatal exit ends the process. */
const untilExit = () => new Promise<never>(() => undefined);

interface LoadBalancer {
  spec: ServiceSpec;
  configFile: string;
}

/** Writes the HAProxy configuration to a directory of this run and checks it with `haproxy -c`. */
async function prepareLoadBalancer(plan: ShopPlan): Promise<LoadBalancer | number> {
  const haproxy = findHaproxy(plan.env);
  if (!haproxy) {
    const which = plan.env.HAPROXY_BIN ? `HAPROXY_BIN=${plan.env.HAPROXY_BIN} is not an executable` : 'haproxy is not installed';
    say(`--replicas runs HAProxy in front of the routers, but ${which}. ${HAPROXY_INSTALL_HINT}`);
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shop-haproxy-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(
    configFile,
    haproxyConfig({
      bind: { host: plan.frontDoor.host, port: plan.frontDoor.port },
      routers: plan.routers.map((router) => ({ name: router.spec.name, host: new URL(router.url).hostname.replace(/^\[|\]$/g, ''), port: router.port })),
      maxBodyBytes: plan.routerConfig.ROUTER_MAX_BODY_BYTES,
    }),
  );
  const check = await checkHaproxyConfig(haproxy, configFile);
  if (!check.ok) {
    say(`${haproxy} -c refused the generated ${configFile}:\n${check.output}`);
    return 1;
  }
  return { configFile, spec: { name: 'haproxy', command: haproxy, args: haproxyArgs(configFile), env: plan.env, readyUrl: plan.frontDoor.readyUrl } };
}

function banner(plan: ShopPlan, running: RunningService[], loadBalancer: LoadBalancer | undefined): string {
  const pid = (name: string) => running.find((s) => s.spec.name === name)?.child.pid ?? '?';
  const width = Math.max(8, ...running.map((s) => s.spec.name.length + 1));
  const line = (name: string, url: string, note?: string) => `  ${name.padEnd(width)} ${url}  pid ${pid(name)}${note ? `  (${note})` : ''}`;
  const sandbox = plan.routerConfig.NODE_ENV === 'development' ? 'open it in a browser for Apollo Sandbox' : undefined;
  const signed = 'accepts only requests signed by the router';
  const demo =
    plan.subgraphConfigs.user.NODE_ENV === 'production'
      ? []
      : ['Demo accounts (logIn mutation):', ...DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(22)} ${a.password.padEnd(18)} ${a.role}`), ''];
  const front = loadBalancer
    ? [
        `The shop is running: ${plan.replicas} replicas of every subgraph and of the router, behind HAProxy.`,
        line('haproxy', plan.frontDoor.url, ['load balancer', sandbox].filter(Boolean).join('; ')),
        ...plan.routers.map((router) => line(router.spec.name, router.url)),
      ]
    : ['The shop is running.', line('router', plan.frontDoor.url, sandbox)];
  return [
    '',
    ...front,
    ...plan.subgraphs.map(({ spec, url }) => line(spec.name, url, signed)),
    ...(loadBalancer ? [`HAProxy configuration: ${loadBalancer.configFile}`] : []),
    'A process that exits after it was ready is started again (with a new pid; `ss -ltnp` shows who listens where).',
    '',
    ...demo,
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

runCli(async () => {
  const args = parseStartArgs(process.argv.slice(2), process.env);
  if (args === 'help') {
    process.stdout.write(`${START_USAGE}\n`);
    return 0;
  }
  // Every child must read and write the same development keys and router secret.
  const plan = planShop({
    replicas: args.replicas,
    env: { ...process.env, SECRETS_DIR: resolve(process.env.SECRETS_DIR ?? join(REPO_ROOT, '.secrets')) },
    repoRoot: REPO_ROOT,
  });
  let loadBalancer: LoadBalancer | undefined;
  if (plan.replicas > 1) {
    const prepared = await prepareLoadBalancer(plan);
    if (typeof prepared === 'number') return prepared;
    loadBalancer = prepared;
  }

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

  // Once, before any replica starts.
  const opened = await migrateAll(plan.env, (database) => say(`migrate ${describeMigration(database)}`));
  try {
    const databases = byName(opened);
    if ((await countProducts(databases.product)) === 0) {
      if (plan.subgraphConfigs.user.NODE_ENV === 'production') {
        say('the product database is empty; not seeding demo data with NODE_ENV=production');
      } else {
        say('the product database is empty: seeding the demo dataset');
        const progress = createProgress();
        await seedDataset(databases, DEMO_DATASET, { nodeEnv: plan.subgraphConfigs.user.NODE_ENV, onProgress: progress.report });
        progress.finish();
      }
    }
  } finally {
    await closeDatabases(opened);
  }
  if (signals > 0) return untilExit();

  try {
    // Subgraphs first (the routers load their JWKS from user), then the routers, then the load balancer.
    const subgraphs = plan.subgraphs.map(({ spec }) => supervisor.spawn(spec));
    await Promise.all(subgraphs.map((service) => supervisor.waitUntilReady(service)));
    if (supervisor.isStopping) return untilExit();
    const routers = plan.routers.map(({ spec }) => supervisor.spawn(spec));
    await Promise.all(routers.map((service) => supervisor.waitUntilReady(service)));
    if (supervisor.isStopping) return untilExit();
    if (loadBalancer) await supervisor.waitUntilReady(supervisor.spawn(loadBalancer.spec));
  } catch (error) {
    if (supervisor.isStopping) return untilExit();
    say(`${(error as Error).message}; stopping the others`);
    await supervisor.stopAll();
    return 1;
  }
  if (supervisor.isStopping) return untilExit();
  process.stdout.write(banner(plan, supervisor.services, loadBalancer) + '\n');
  return untilExit();
});
