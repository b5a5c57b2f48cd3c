import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds used so far by the processes the services lean on, and by this process (the load generator). */
export interface HostCpu {
  postgres: number;
  redis: number;
  loadGenerator: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime + cutime + cstime (fields 14–17) of a /proc/<pid>/stat line, in ticks. The
 * children's part keeps the sum steady when a Postgres backend exits during a run (its time
 * moves to the postmaster).
 */
export function parseProcStat(line: string): { comm: string; ticks: number } | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = line.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const ticks = [14, 15, 16, 17].reduce((sum, n) => sum + Number(fields[n - 3] ?? 0), 0);
  return Number.isFinite(ticks) ? { comm: line.slice(open + 1, close), ticks } : null;
}

/** Linux only (elsewhere Postgres and Redis read 0); whatever else uses them on this machine is counted too. */
export function readHostCpu(): HostCpu {
  const usage = process.cpuUsage();
  const result: HostCpu = { postgres: 0, redis: 0, loadGenerator: (usage.user + usage.system) / 1e6 };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return result;
  }
  const ticks = clockTicks();
  for (const pid of pids) {
    let stat: ReturnType<typeof parseProcStat>;
    try {
      stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      continue; // gone meanwhile
    }
    if (!stat) continue;
    if (stat.comm === 'postgres' || stat.comm.startsWith('postgres:')) result.postgres += stat.ticks / ticks;
    else if (stat.comm === 'redis-server') result.redis += stat.ticks / ticks;
  }
  return result;
}

export function diffHostCpu(before: HostCpu, after: HostCpu): HostCpu {
  return { postgres: after.postgres - before.postgres, redis: after.redis - before.redis, loadGenerator: after.loadGenerator - before.loadGenerator };
}
