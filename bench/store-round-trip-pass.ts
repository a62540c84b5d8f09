/**
 * The counting pass behind `store_round_trips_per_job`, run outside the timed rounds (MONITOR
 * slows Redis down): a MONITOR connection watches while a fixed number of jobs runs, then for
 * an idle window of the same length with the workload still open. The idle calls
 * (heartbeats, timers, blocking reads timing out) are subtracted, not assumed negligible.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { type CommandCounts, CommandTally, countsBetween, roundTripsPerJob } from "./store-round-trips.js";
import type { Workload } from "./workload.js";

const QUIET_POLL_MS = 100;
/** Idle background stays under this many calls per poll. */
const QUIET_CALLS = 3;
const QUIET_MAX_MS = 5_000;

/** Resolves once a poll interval saw (almost) no calls: trailing work is over. */
async function settled(tally: CommandTally): Promise<void> {
  const deadline = Date.now() + QUIET_MAX_MS;
  let last = tally.total;
  for (;;) {
    await sleep(QUIET_POLL_MS);
    const now = tally.total;
    if (now - last <= QUIET_CALLS || Date.now() > deadline) return;
    last = now;
  }
}

export async function countStoreRoundTrips(
  redisUrl: string,
  workload: Workload,
  jobs: number,
): Promise<CommandCounts> {
  // Never connects itself: monitor() opens a duplicate connection in MONITOR mode.
  const base = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const monitor = await base.monitor().catch((cause: unknown) => {
    throw new CortexError(ErrorCode.StoreUnavailable, `cannot open a MONITOR connection to ${redisUrl}`, {
      cause,
    });
  });
  const tally = new CommandTally();
  monitor.on("monitor", (_time: string, args: string[], source: string) => tally.add(args, source));
  try {
    await settled(tally);
    const t0 = performance.now();
    const before = tally.snapshot();
    await workload.run(jobs);
    await settled(tally);
    const withJobs = countsBetween(tally.snapshot(), before);
    const idleStart = tally.snapshot();
    await sleep(performance.now() - t0);
    const idle = countsBetween(tally.snapshot(), idleStart);
    return roundTripsPerJob(withJobs, idle, jobs);
  } finally {
    monitor.disconnect();
    base.disconnect();
  }
}
