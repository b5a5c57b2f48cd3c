import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig as parseRouterConfig, ROUTER_NODE_FLAGS } from '@shop/router';
import { REPO_ROOT } from '../paths';
import { checkHaproxyConfig, findHaproxy, HAPROXY_INSTALL_HINT, haproxyArgs, haproxyConfig } from '../start/haproxy';
import { routerEnv } from '../start/plan';
import { describeExit, shutdownBudgetMs, Supervisor, type Exit, type RunningService, type ServiceSpec } from '../start/supervisor';
import { SUBGRAPH_NAMES, type SubgraphName } from '../subgraphs';
import { freePort, serviceEnvironment, type BenchSetup, type ServiceName } from './stack';

/**
 * The services' own default drain (packages/runtime/src/config/shapes.ts), which the replica
 * stack keeps: HAProxy and the routers take a draining process out of rotation within it.
 */
export const REPLICA_DRAIN_SECONDS = 3;

/** One planned process of the replica stack: product-0 … order-(N-1), router-0 …; HAProxy apart. */
export interface PlannedReplica {
  name: string;
  service: ServiceName;
  replica: number;
  port: number;
  spec: ServiceSpec;
}

export interface ReplicaPlan {
  replicas: number;
  /** Subgraph replicas first (product-0, product-1, user-0, …), then the routers. */
  processes: PlannedReplica[];
  /** HAProxy's port: where the load goes. */
  frontDoorPort: number;
}

/**
 * Ports of the replica stack: HAProxy on the bench's router port and replica 0 of each subgraph
 * on the bench's port for it (so --port N still places the front door on N), every other
 * process on a free port of its own.
 */
export async function replicaPorts(
  setup: Pick<BenchSetup, 'ports'>,
  replicas: number,
  pickFree: () => Promise<number> = freePort,
): Promise<{ frontDoor: number; routers: number[]; subgraphs: Record<SubgraphName, number[]> }> {
  const taken = new Set(Object.values(setup.ports));
  const another = async () => {
    for (;;) {
      const port = await pickFree();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const subgraphs = {} as Record<SubgraphName, number[]>;
  for (const name of SUBGRAPH_NAMES) {
    subgraphs[name] = [setup.ports[name]];
    for (let k = 1; k < replicas; k++) subgraphs[name].push(await another());
  }
  const routers: number[] = [];
  for (let k = 0; k < replicas; k++) routers.push(await another());
  return { frontDoor: setup.ports.router, routers, subgraphs };
}

/**
 * Every process of the replica stack, as `npm start -- --replicas N` would run them, with the
 * bench's environment (its databases, prefix and secrets; cache on): each router gets every
 * subgraph's replicas as a comma-separated list, the JWKS of user replica k and the trusted
 * proxies, and every process drains for REPLICA_DRAIN_SECONDS on SIGTERM. Pure.
 */
export function planReplicaStack(setup: BenchSetup, replicas: number, ports: Awaited<ReturnType<typeof replicaPorts>>): ReplicaPlan {
  const base = (port: number) => `http://127.0.0.1:${port}`;
  const envOf = (service: ServiceName, port: number): NodeJS.ProcessEnv => ({
    ...serviceEnvironment(setup, service, true),
    PORT: String(port),
    SHUTDOWN_DRAIN_SECONDS: String(REPLICA_DRAIN_SECONDS),
  });
  const subgraphs: PlannedReplica[] = SUBGRAPH_NAMES.flatMap((service) =>
    ports.subgraphs[service].map((port, replica) => ({
      name: `${service}-${replica}`,
      service,
      replica,
      port,
      spec: {
        name: `${service}-${replica}`,
        script: join(REPO_ROOT, 'subgraphs', service, 'dist', 'index.js'),
        env: envOf(service, port),
        readyUrl: `${base(port)}/health/ready`,
      },
    })),
  );
  const listed = subgraphs.map((s) => ({ subgraph: s.service as SubgraphName, url: `${base(s.port)}/graphql` }));
  const routers: PlannedReplica[] = ports.routers.map((port, replica) => ({
    name: `router-${replica}`,
    service: 'router',
    replica,
    port,
    spec: {
      name: `router-${replica}`,
      script: join(REPO_ROOT, 'router', 'dist', 'index.js'),
      nodeArgs: ROUTER_NODE_FLAGS,
      // npm start's: every replica of each subgraph, user replica k's JWKS, the trusted proxies.
      env: { ...envOf('router', port), ...routerEnv(listed, replica, replicas, {}) },
      readyUrl: `${base(port)}/health/ready`,
    },
  }));
  return { replicas, processes: [...subgraphs, ...routers], frontDoorPort: ports.frontDoor };
}

export interface ReplicaProcess extends PlannedReplica {
  /** Its current process; startAgain replaces it. */
  running: RunningService;
}

export interface Termination {
  /** From SIGTERM to the exit event. */
  seconds: number;
  exit: Exit;
  /** It outlived its shutdown budget and was killed (seconds then include the budget). */
  killed: boolean;
}

export interface ReplicaStack {
  replicas: number;
  /** HAProxy's /graphql. */
  frontDoorUrl: string;
  processes: ReplicaProcess[];
  /** Rejects when a process dies that was not told to stop (HAProxy too). */
  crashed: Promise<never>;
  /** SIGTERM to the process; resolves when it has exited (SIGKILL after its shutdown budget). */
  terminate(process: ReplicaProcess): Promise<Termination>;
  /** Starts it again on its port; resolves once its /health/ready answers 200, with the seconds that took. */
  startAgain(process: ReplicaProcess): Promise<number>;
  stop(): Promise<void>;
}

/** Where HAProxy is, and the checked configuration for this plan; a message instead when it cannot run. */
async function prepareHaproxy(plan: ReplicaPlan, baseEnv: NodeJS.ProcessEnv, dir: string): Promise<ServiceSpec> {
  const haproxy = findHaproxy(baseEnv);
  if (!haproxy) {
    const which = baseEnv.HAPROXY_BIN ? `HAPROXY_BIN=${baseEnv.HAPROXY_BIN} is not an executable` : 'haproxy is not installed';
    throw new Error(`--replicas puts HAProxy in front of the routers, but ${which}. ${HAPROXY_INSTALL_HINT}`);
  }
  const routers = plan.processes.filter((p) => p.service === 'router');
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(
    configFile,
    haproxyConfig({
      bind: { host: '127.0.0.1', port: plan.frontDoorPort },
      routers: routers.map((router) => ({ name: router.name, host: '127.0.0.1', port: router.port })),
      maxBodyBytes: parseRouterConfig(routers[0]!.spec.env).ROUTER_MAX_BODY_BYTES,
    }),
  );
  const check = await checkHaproxyConfig(haproxy, configFile);
  if (!check.ok) throw new Error(`${haproxy} -c refused the generated ${configFile}:\n${check.output}`);
  return {
    name: 'haproxy',
    command: haproxy,
    args: haproxyArgs(configFile),
    env: baseEnv,
    readyUrl: `http://127.0.0.1:${plan.frontDoorPort}/health/ready`,
  };
}

/**
 * The replica stack: every subgraph replica at once, then the routers, then HAProxy, each
 * ready (/health/ready 200) before the next group. A process that exits without being told to
 * fails the bench (as in the one-replica stack); one terminated on purpose is started again by
 * startAgain.
 */
export async function startReplicaStack(setup: BenchSetup, replicas: number, writeLog: (text: string) => void): Promise<ReplicaStack> {
  const plan = planReplicaStack(setup, replicas, await replicaPorts(setup, replicas));
  const dir = mkdtempSync(join(tmpdir(), 'shop-bench-haproxy-'));
  let fail: (error: Error) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  crashed.catch(() => undefined);
  const terminating = new Set<RunningService>();
  const supervisor = new Supervisor({
    cwd: REPO_ROOT,
    write: writeLog,
    pretty: false,
    // No restarts by the supervisor: the bench starts a terminated process itself, and any other exit spoils the measurement.
    onFatalExit: (service, exit) => {
      if (!terminating.has(service)) fail(new Error(`${service.spec.name} exited unexpectedly (${describeExit(exit)}); see the services log`));
    },
  });
  const stop = async () => {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  };
  const processes: ReplicaProcess[] = [];
  try {
    const haproxy = await prepareHaproxy(plan, setup.baseEnv, dir);
    const group = async (planned: PlannedReplica[]) => {
      const started = planned.map((p) => ({ ...p, running: supervisor.spawn(p.spec) }));
      processes.push(...started);
      await Promise.all(started.map((p) => supervisor.waitUntilReady(p.running)));
    };
    await group(plan.processes.filter((p) => p.service !== 'router'));
    await group(plan.processes.filter((p) => p.service === 'router'));
    await supervisor.waitUntilReady(supervisor.spawn(haproxy));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    replicas,
    frontDoorUrl: `http://127.0.0.1:${plan.frontDoorPort}/graphql`,
    processes,
    crashed,
    async terminate(process) {
      const { running } = process;
      terminating.add(running);
      const budgetMs = shutdownBudgetMs(running.spec.env);
      const started = performance.now();
      running.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), budgetMs);
      });
      let killed = false;
      if ((await Promise.race([running.exited, late])) === 'late') {
        writeLog(`bench: ${process.name} did not exit within ${budgetMs / 1000} s of SIGTERM; killing it\n`);
        running.child.kill('SIGKILL');
        killed = true;
      }
      clearTimeout(timer);
      const exit = await running.exited;
      return { seconds: (performance.now() - started) / 1000, exit, killed };
    },
    async startAgain(process) {
      const started = performance.now();
      process.running = supervisor.spawn(process.spec);
      writeLog(`bench: ${process.name} started again (pid ${process.running.child.pid ?? '?'})\n`);
      await supervisor.waitUntilReady(process.running);
      return (performance.now() - started) / 1000;
    },
    stop,
  };
}
