import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestRun, eventually, freePort, type TestRun } from '@shop/testing';
import { SUBGRAPHS, type SubgraphName } from '../e2e/stack';

export { SUBGRAPHS, type SubgraphName };

const ROOT = resolve(__dirname, '../..');

/** One supervised process of the cluster, found by the port it listens on. */
export interface Member {
  name: string;
  port: number;
}

/**
 * `npm start -- --replicas N` as a user runs it (the built scripts/dist/start.js), on free ports,
 * with this run's own databases, Redis prefix and RabbitMQ names: N replicas of every subgraph,
 * N routers and HAProxy in front of them.
 */
export interface Cluster {
  run: TestRun;
  /** The load balancer's GraphQL endpoint. */
  url: string;
  members: Member[];
  output(): string;
  /** The pid now listening on a member's port (it changes when the supervisor restarts it). */
  pidOf(member: Member): number | null;
  ready(member: Member): Promise<boolean>;
  stop(): Promise<number | null>;
}

export async function startCluster(replicas: number): Promise<Cluster> {
  const run = createTestRun();
  const secretsDir = mkdtempSync(join(tmpdir(), 'shop-scale-secrets-'));
  const env: NodeJS.ProcessEnv = { ...process.env, ...run.env('cluster') };
  // The processes' own defaults: a real drain (SHUTDOWN_DRAIN_SECONDS 3), the generated secrets.
  for (const key of ['PORT', 'POSTGRES_DB', 'ROUTER_SIGNING_SECRETS', 'SHUTDOWN_DRAIN_SECONDS']) delete env[key];
  env.SECRETS_DIR = secretsDir;
  env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';
  env.AUTH_SCRYPT_COST = '1024';
  const members: Member[] = [];
  for (const name of SUBGRAPHS) {
    const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
    env[`${name.toUpperCase()}_PORT`] = ports.join(',');
    env[`${name.toUpperCase()}_POSTGRES_DB`] = run.env(name).POSTGRES_DB;
    ports.forEach((port, k) => members.push({ name: `${name}-${k}`, port }));
  }
  const routers = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  env.ROUTER_REPLICA_PORT = routers.join(',');
  routers.forEach((port, k) => members.push({ name: `router-${k}`, port }));
  const front = await freePort();
  env.ROUTER_PORT = String(front);

  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts/dist/start.js'), '--replicas', String(replicas)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const code = await exited;
    // For a look at what every process said (HAProxy's state changes, the services' warnings).
    if (process.env.SCALE_OUTPUT_FILE) writeFileSync(process.env.SCALE_OUTPUT_FILE, output);
    await run.cleanup();
    rmSync(secretsDir, { recursive: true, force: true });
    return code;
  };
  try {
    await Promise.race([
      eventually(
        async () => {
          if (!output.includes('The shop is running')) throw new Error(`not running yet:\n${output.slice(-3000)}`);
        },
        { timeoutMs: 180_000, intervalMs: 250 },
      ),
      exited.then((code) => {
        throw new Error(`start.js exited with ${code}:\n${output}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    run,
    url: `http://127.0.0.1:${front}/graphql`,
    members,
    output: () => output,
    pidOf: (member) => pidListeningOn(member.port),
    ready: (member) =>
      fetch(`http://127.0.0.1:${member.port}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      ),
    stop,
  };
}

/** Who listens on a local TCP port, from `ss` (iproute2). */
export function pidListeningOn(port: number): number | null {
  const out = execFileSync('ss', ['-Htlnp', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(out);
  return match ? Number(match[1]) : null;
}

/** Resolves once no process has `pid` any more. */
export async function exitOf(pid: number, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      throw new Error(`pid ${pid} still running`);
    },
    { timeoutMs, intervalMs: 50 },
  );
}
