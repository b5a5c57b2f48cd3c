import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SHUTDOWN_CLOSE_BUDGET_SECONDS } from '@shop/runtime';

interface BaseSpec {
  name: string;
  env: NodeJS.ProcessEnv;
  /** Answers 200 once the process is ready to serve (npm start uses /health/ready). */
  readyUrl: string;
}

/** A node script, run with this node, or any other program (HAProxy). */
export type ServiceSpec = BaseSpec &
  (
    | {
        script: string;
        /** Flags for node itself, before the script. */
        nodeArgs?: readonly string[];
      }
    | { command: string; args: readonly string[] }
  );

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One restart: how the previous process ended, how long it had run, and the wait before the next one. */
export interface Restart {
  exit: Exit;
  uptimeMs: number;
  delayMs: number;
}

/**
 * A supervised service. `child`, `exit` and `exited` are those of its current process, which a
 * restart replaces.
 */
export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  exit: Exit | undefined;
  exited: Promise<Exit>;
  /** When the current process started. */
  startedAt: number;
  /** Whether the current process has answered its readyUrl with 200. */
  ready: boolean;
  /** Whether any of its processes has: until then an exit is a failed start-up, never restarted. */
  everReady: boolean;
  restarts: Restart[];
  /** Settles when the first process is ready; rejects when it exits before, or is not ready in time. */
  firstReady: Promise<void>;
}

/**
 * When a process that was ready exits, it is started again after a delay that starts at
 * `initialDelayMs`, doubles with every restart up to `maxDelayMs`, and starts over once a
 * process has run `resetAfterMs`.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, resetAfterMs: 60_000 };

/** The exit code of a process that refused its configuration: starting it again cannot help. */
export const EXIT_BAD_CONFIG = 78;

/** The delay before the next restart, given the previous one (none before the first) and how long the process ran. */
export function restartDelay(policy: RestartPolicy, previousDelayMs: number | undefined, uptimeMs: number): number {
  if (previousDelayMs === undefined || uptimeMs >= policy.resetAfterMs) return policy.initialDelayMs;
  return Math.min(previousDelayMs * 2, policy.maxDelayMs);
}

/** How long the processes' own shutdown may take (the drain period, then at most 10 s to close); a second more before SIGKILL. */
export function shutdownBudgetMs(env: NodeJS.ProcessEnv): number {
  const value = env.SHUTDOWN_DRAIN_SECONDS;
  const drainSeconds = value !== undefined && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : 3;
  return (drainSeconds + SHUTDOWN_CLOSE_BUDGET_SECONDS) * 1000 + 1000;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const COLORS = [36, 35, 33, 32, 34, 31];
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** On a terminal a pino JSON line reads better as "info  message key=value"; elsewhere it stays JSON. */
export function humanizeLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.msg !== 'string' || typeof entry.level !== 'number') return line;
    const extra = Object.entries(entry)
      .filter(([key]) => !HIDDEN_KEYS.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    return [(LEVELS[entry.level] ?? String(entry.level)).padEnd(5), entry.msg, ...extra].join(' ');
  } catch {
    return line;
  }
}

export interface SupervisorOptions {
  cwd: string;
  write: (text: string) => void;
  pretty: boolean;
  /**
   * A service exited and will not be started again: it failed during start-up (exited before
   * it was ready), exited with 78 (bad configuration), or restarting is off. `reason` says which.
   */
  onFatalExit: (service: RunningService, exit: Exit, reason: string) => void;
  /** Restart processes that exit after they were ready; off (every exit is fatal) unless given. */
  restart?: RestartPolicy;
  /** SIGTERM to SIGKILL; by default each service's shutdown budget (see shutdownBudgetMs). */
  stopTimeoutMs?: number;
  /** How long a process may take to be ready (default 60 s). */
  readyTimeoutMs?: number;
  /** Between two readiness probes (default 200 ms). */
  pollIntervalMs?: number;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;

/**
 * Runs the services as child processes, each in its own process group so that a Ctrl-C on
 * the terminal reaches only this supervisor, which then stops them in its own way. A process
 * that exits after it was ready is started again (with `restart`), whatever its exit: a crash,
 * a SIGKILL, or a clean exit after a SIGTERM from outside (a rolling restart).
 */
export class Supervisor {
  readonly services: RunningService[] = [];
  private stopping = false;
  private readonly pendingRestarts = new Map<RunningService, NodeJS.Timeout>();

  constructor(private readonly options: SupervisorOptions) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  private label(service: RunningService): string {
    const index = this.services.indexOf(service);
    const width = Math.max(7, ...this.services.map((s) => s.spec.name.length));
    const text = service.spec.name.padEnd(width);
    return this.options.pretty ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m |` : `${text} |`;
  }

  private note(text: string): void {
    this.options.write(`supervisor: ${text}\n`);
  }

  spawn(spec: ServiceSpec): RunningService {
    const service = { spec, restarts: [] as Restart[], everReady: false } as unknown as RunningService;
    this.services.push(service);
    this.launch(service);
    service.firstReady = this.watchReadiness(service, service.child);
    service.firstReady.catch(() => undefined);
    return service;
  }

  /** Starts the service's (next) process. */
  private launch(service: RunningService): void {
    const { spec } = service;
    const [file, args] = 'script' in spec ? [process.execPath, [...(spec.nodeArgs ?? []), spec.script]] : [spec.command, [...spec.args]];
    const child = spawn(file, args, { cwd: this.options.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    service.child = child;
    service.exit = undefined;
    service.ready = false;
    service.startedAt = Date.now();
    let wasReady = false;
    service.exited = new Promise<Exit>((resolve) => {
      const settle = (exit: Exit) => {
        if (service.child === child) {
          wasReady = service.ready;
          service.exit = exit;
          service.ready = false;
        }
        resolve(exit);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      child.once('error', (error) => {
        this.options.write(`${this.label(service)} could not start ${file}: ${error.message}\n`);
        settle({ code: 127, signal: null });
      });
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.options.write(`${this.label(service)} ${this.options.pretty ? humanizeLogLine(line) : line}\n`);
      });
    }
    void service.exited.then((exit) => this.exitedOnItsOwn(service, child, exit, wasReady));
  }

  /** Polls the process's readyUrl until it answers 200; rejects when the process exits first or the time is up. */
  private async watchReadiness(service: RunningService, child: ChildProcess): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const gone = () => service.child !== child || service.exit !== undefined;
    while (Date.now() < deadline) {
      if (gone()) throw new Error(`${service.spec.name} exited (${describeExit(service.exit ?? { code: null, signal: null })}) before it was ready`);
      if (this.stopping) throw new Error(`${service.spec.name}: stopping`);
      try {
        const response = await fetch(service.spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        if (response.ok && !gone()) {
          service.ready = true;
          service.everReady = true;
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs ?? 200));
    }
    throw new Error(`${service.spec.name} was not ready at ${service.spec.readyUrl} within ${timeoutMs / 1000} s`);
  }

  private exitedOnItsOwn(service: RunningService, child: ChildProcess, exit: Exit, wasReady: boolean): void {
    if (this.stopping || service.child !== child) return;
    const { name } = service.spec;
    const uptimeMs = Date.now() - service.startedAt;
    const how = `${describeExit(exit)}, pid ${child.pid ?? '?'}, after ${seconds(uptimeMs)}`;
    if (exit.code === EXIT_BAD_CONFIG) {
      return this.options.onFatalExit(service, exit, `${name} exited with code ${EXIT_BAD_CONFIG} (bad configuration; ${how}); not restarting it`);
    }
    if (!service.everReady) return this.options.onFatalExit(service, exit, `${name} exited (${how}) before it was ready`);
    const policy = this.options.restart;
    if (!policy) return this.options.onFatalExit(service, exit, `${name} exited (${how})`);

    const delayMs = restartDelay(policy, service.restarts.at(-1)?.delayMs, uptimeMs);
    service.restarts.push({ exit, uptimeMs, delayMs });
    const ready = wasReady ? 'after it was ready' : 'before it was ready again';
    this.note(`${name} exited (${how}) ${ready}; restarting it in ${seconds(delayMs)} (restart ${service.restarts.length})`);
    this.pendingRestarts.set(
      service,
      setTimeout(() => {
        this.pendingRestarts.delete(service);
        if (this.stopping) return;
        this.launch(service);
        const next = service.child;
        this.note(`${name} started again (pid ${next.pid ?? '?'})`);
        this.watchReadiness(service, next).then(
          () => this.note(`${name} is ready again (pid ${next.pid ?? '?'})`),
          (error: Error) => {
            // An exit is reported by exitedOnItsOwn; only a process that stays unready is worth a line here.
            if (!this.stopping && service.child === next && !service.exit) this.note(`${error.message}; leaving it running`);
          },
        );
      }, delayMs),
    );
  }

  /** Resolves once the service's first process is ready; fails as soon as it exits or when it is not ready in time. */
  waitUntilReady(service: RunningService): Promise<void> {
    return service.firstReady;
  }

  /** SIGTERM to every running child; SIGKILL to those still running after the timeout. No restarts from here on. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
    await Promise.all(
      this.services.map(async (service) => {
        if (service.exit) return;
        const timeoutMs = this.options.stopTimeoutMs ?? shutdownBudgetMs(service.spec.env);
        signal(service, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        if ((await Promise.race([service.exited, killed])) === 'timeout') {
          this.options.write(`${service.spec.name} did not stop within ${timeoutMs / 1000} s; killing it\n`);
          signal(service, 'SIGKILL');
          await service.exited;
        }
        clearTimeout(timer);
      }),
    );
  }

  /** Last resort when this process itself is exiting: synchronous SIGKILL to what still runs. */
  killAll(): void {
    this.stopping = true;
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
    for (const service of this.services) if (!service.exit) signal(service, 'SIGKILL');
  }
}

function signal(service: RunningService, name: NodeJS.Signals): void {
  try {
    service.child.kill(name);
  } catch {
    // already gone
  }
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
