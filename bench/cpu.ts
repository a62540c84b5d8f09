/**
 * CPU time per job by process (ms), from /proc/<pid>/stat: shows which part of the stack a
 * workload is bound by on this machine. Linux only; elsewhere the figures are omitted.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** utime + stime of a process, ms; undefined when it is gone or /proc is missing. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: fields are counted after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The pid of the process whose command line names `binary` and holds `port` as an argument. */
export function findServerPid(binary: string, port: number): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, "utf8").split(/[\0 ]/);
      // redis-server rewrites its title to "redis-server host:port", one argument with a space.
      if (args[0]?.endsWith(binary) && args.some((a) => a === String(port) || a.endsWith(`:${port}`))) {
        return Number(d);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

export type CpuSample = Record<string, number | undefined>;

/** Snapshot of each named process's CPU ms ("self" is this process). */
export function sampleCpu(pids: Record<string, number | undefined>): CpuSample {
  const out: CpuSample = {};
  for (const [name, pid] of Object.entries(pids)) {
    out[name] = name === "self" ? cpuSelfMs() : pid === undefined ? undefined : cpuMs(pid);
  }
  return out;
}

function cpuSelfMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms per job of each process between two samples, plus their total. */
export function cpuPerJob(before: CpuSample, after: CpuSample, jobs: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (a === undefined || b === undefined || jobs === 0) continue;
    const per = (a - b) / jobs;
    out[name] = Math.round(per * 1000) / 1000;
    total += per;
  }
  out.total = Math.round(total * 1000) / 1000;
  return out;
}
