/**
 * Operations per job on the shared servers, read before and after a measured round:
 * Redis `INFO commandstats` (every command Redis executed, those run inside a Lua script or
 * a MULTI block included: Redis 7.0 does not tell them apart; client round trips are
 * counted separately, see store-round-trips.ts) and nats-server's /varz (`in_msgs` from
 * clients, `out_msgs` to subscribers). The bench's own INFO calls are left out.
 */
import { Redis } from "ioredis";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { median } from "./stats.js";
import type { CommandCounts } from "./store-round-trips.js";

export interface OpSample {
  /** calls by command name ("evalsha", "client|setname" …), without `info`. */
  redis: Record<string, number>;
  /** Absent when the run has no nats-server. */
  nats?: { in: number; out: number };
}

export interface BusMsgs {
  total: number;
  in: number;
  out: number;
}

/** null: the side has no such server (cortex on the embedded backend). */
export interface OpsPerJob {
  redis_commands_per_job: CommandCounts | null;
  bus_msgs_per_job: BusMsgs | null;
}

export const NO_OPS: OpsPerJob = { redis_commands_per_job: null, bus_msgs_per_job: null };

export interface OpCounters {
  sample(): Promise<OpSample>;
  /** A sample taken once the servers are quiet, so a round's trailing work counts in that round. */
  sampleWhenQuiet(): Promise<OpSample>;
  close(): Promise<void>;
}

const QUIET_POLL_MS = 100;
/** Idle background (heartbeats, blocking-read timeouts) stays under this per poll. */
const QUIET_OPS = 3;
const QUIET_MAX_MS = 5_000;

export function parseCommandstats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const [, name, calls] = m;
    if (name !== undefined && name !== "info") out[name] = Number(calls);
  }
  return out;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const natsMoved = (a: OpSample, b: OpSample) =>
  a.nats && b.nats ? b.nats.in - a.nats.in + (b.nats.out - a.nats.out) : 0;

async function readVarz(natsMonitorUrl: string): Promise<{ in: number; out: number }> {
  const res = await fetch(`${natsMonitorUrl}/varz`, { signal: AbortSignal.timeout(5_000) }).catch(
    (cause: unknown) => {
      throw new CortexError(ErrorCode.BusUnavailable, `cannot read ${natsMonitorUrl}/varz`, { cause });
    },
  );
  if (!res.ok)
    throw new CortexError(ErrorCode.BusUnavailable, `${natsMonitorUrl}/varz answered ${res.status}`);
  const v = (await res.json()) as { in_msgs: number; out_msgs: number };
  return { in: v.in_msgs, out: v.out_msgs };
}

export function openOpCounters(redisUrl: string, natsMonitorUrl?: string): OpCounters {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const sample = async (): Promise<OpSample> => {
    const [info, nats] = await Promise.all([
      redis.info("commandstats"),
      natsMonitorUrl === undefined ? undefined : readVarz(natsMonitorUrl),
    ]);
    return { redis: parseCommandstats(info), ...(nats && { nats }) };
  };
  return {
    sample,
    async sampleWhenQuiet() {
      const deadline = Date.now() + QUIET_MAX_MS;
      let last = await sample();
      for (;;) {
        await new Promise((r) => setTimeout(r, QUIET_POLL_MS));
        const next = await sample();
        const moved = sum(next.redis) - sum(last.redis) + natsMoved(last, next);
        if (moved <= QUIET_OPS || Date.now() > deadline) return next;
        last = next;
      }
    },
    async close() {
      await redis.quit();
    },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function opsPerJob(before: OpSample, after: OpSample, jobs: number): OpsPerJob {
  const per = (d: number) => (jobs === 0 ? 0 : round2(d / jobs));
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.redis)) {
    const v = per(calls - (before.redis[name] ?? 0));
    if (v > 0) byCommand[name] = v;
  }
  const bus = (a: { in: number; out: number }, b: { in: number; out: number }): BusMsgs => ({
    total: per(b.in - a.in + (b.out - a.out)),
    in: per(b.in - a.in),
    out: per(b.out - a.out),
  });
  return {
    redis_commands_per_job: {
      total: per(sum(after.redis) - sum(before.redis)),
      by_command: Object.fromEntries(Object.entries(byCommand).sort((a, b) => b[1] - a[1])),
    },
    bus_msgs_per_job: before.nats && after.nats ? bus(before.nats, after.nats) : null,
  };
}

/** The median of each figure over rounds; null when the rounds had no such server. */
export function medianOps(rs: readonly OpsPerJob[]): OpsPerJob {
  const med = (f: (r: OpsPerJob) => number | undefined) => median(rs.map((r) => f(r) ?? 0));
  const names = new Set(rs.flatMap((r) => Object.keys(r.redis_commands_per_job?.by_command ?? {})));
  const byCommand = Object.fromEntries(
    [...names]
      .map((n) => [n, med((r) => r.redis_commands_per_job?.by_command[n])] as const)
      .sort((a, b) => b[1] - a[1]),
  );
  return {
    redis_commands_per_job: rs.some((r) => r.redis_commands_per_job === null)
      ? null
      : { total: med((r) => r.redis_commands_per_job?.total), by_command: byCommand },
    bus_msgs_per_job: rs.some((r) => r.bus_msgs_per_job === null)
      ? null
      : {
          total: med((r) => r.bus_msgs_per_job?.total),
          in: med((r) => r.bus_msgs_per_job?.in),
          out: med((r) => r.bus_msgs_per_job?.out),
        },
  };
}
