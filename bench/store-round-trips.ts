/**
 * Store round trips: the commands clients sent to Redis, as Redis MONITOR reports them.
 * Commands a Lua script ran arrive with source "lua" and are left out, so one EVALSHA is one
 * call. MONITOR cannot tell a pipeline or a MULTI block from separate requests: each of
 * their commands counts as one.
 */

export interface CommandCounts {
  total: number;
  by_command: Record<string, number>;
}

/**
 * The bench's own instrumentation (the INFO connection, the MONITOR connection's set-up),
 * never a workload's: none of its connections sends anything else.
 */
const INSTRUMENTATION = new Set(["info", "monitor"]);

/** Calls by command name, as seen by one MONITOR connection. */
export class CommandTally {
  private readonly counts = new Map<string, number>();
  private seen = 0;

  add(args: readonly string[], source: string): void {
    const name = args[0]?.toLowerCase();
    if (name === undefined || source === "lua" || INSTRUMENTATION.has(name)) return;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.seen++;
  }

  /** Commands counted so far (for telling when traffic has settled). */
  get total(): number {
    return this.seen;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Calls per command between two snapshots of one tally. */
export const countsBetween = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));

/**
 * Per-job calls of a window with jobs, less an idle window of the same length: what the
 * jobs caused, without heartbeats and timers. Commands at or below zero are left out.
 */
export function roundTripsPerJob(
  withJobs: Record<string, number>,
  idle: Record<string, number>,
  jobs: number,
): CommandCounts {
  if (jobs === 0) return { total: 0, by_command: {} };
  const names = new Set([...Object.keys(withJobs), ...Object.keys(idle)]);
  const byCommand: [string, number][] = [];
  let total = 0;
  for (const name of names) {
    const calls = (withJobs[name] ?? 0) - (idle[name] ?? 0);
    total += calls;
    const per = round2(calls / jobs);
    if (per > 0) byCommand.push([name, per]);
  }
  return {
    total: round2(Math.max(0, total) / jobs),
    by_command: Object.fromEntries(byCommand.sort((a, b) => b[1] - a[1])),
  };
}
