import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  name: string;
  script: string;
  /** Flags for node itself, before the script. */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  healthUrl: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  exit: Exit | undefined;
  exited: Promise<Exit>;
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

/**
 * Runs the services as child processes, each in its own process group so that a Ctrl-C on
 * the terminal reaches only this supervisor, which then stops them in its own way.
 */
export class Supervisor {
  readonly services: RunningService[] = [];
  private stopping = false;

  constructor(
    private readonly options: {
      cwd: string;
      write: (text: string) => void;
      pretty: boolean;
      onUnexpectedExit: (service: RunningService, exit: Exit) => void;
      stopTimeoutMs?: number;
    },
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  private label(index: number, name: string): string {
    const width = Math.max(7, ...this.services.map((s) => s.spec.name.length));
    const text = name.padEnd(width);
    return this.options.pretty ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m |` : `${text} |`;
  }

  spawn(spec: ServiceSpec): RunningService {
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), spec.script], {
      cwd: this.options.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const index = this.services.length;
    const service: RunningService = {
      spec,
      child,
      exit: undefined,
      exited: new Promise<Exit>((resolve) => {
        child.once('exit', (code, signal) => {
          service.exit = { code, signal };
          resolve(service.exit);
        });
        child.once('error', (error) => {
          this.options.write(`${this.label(index, spec.name)} could not start: ${error.message}\n`);
          service.exit = { code: 127, signal: null };
          resolve(service.exit);
        });
      }),
    };
    this.services.push(service);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.options.write(`${this.label(index, spec.name)} ${this.options.pretty ? humanizeLogLine(line) : line}\n`);
      });
    }
    void service.exited.then((exit) => {
      if (!this.stopping) this.options.onUnexpectedExit(service, exit);
    });
    return service;
  }

  /** Polls the service's /health/live; fails as soon as the process exits. */
  async waitUntilLive(service: RunningService, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (service.exit) throw new Error(`${service.spec.name} exited (${describeExit(service.exit)}) before it was live`);
      try {
        const response = await fetch(service.spec.healthUrl, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${service.spec.name} was not live at ${service.spec.healthUrl} within ${timeoutMs / 1000} s`);
  }

  /** SIGTERM to every running child; SIGKILL to those still running after the timeout. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    await Promise.all(
      this.services.map(async (service) => {
        if (service.exit) return;
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
