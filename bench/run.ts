/**
 * `npm run bench`: N echo jobs through the gateway with W in flight, each waiting for its
 * result, against the bench's own daemon (and, on `--backend nats`, its own nats-server and
 * redis-server), by a stream client (SubmitAndWatchMany) and a unary v1-style client
 * (SubmitJob, then completion from sys.job.result or, on embedded, a WatchEvents stream).
 * `--vs bullmq` runs the same workload on BullMQ, alternating rounds.
 * Prints one JSON line on stdout and the target checks as a table on stderr.
 */
import type { NatsConnection } from "nats";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { startBenchStack } from "./bench-stack.js";
import { openBullmqWorkload } from "./bullmq-workload.js";
import type { CompletionSource } from "./completion-waiter.js";
import { BUS_COMPLETIONS_VIA, connectResultBus, openBusCompletions } from "./completions-via-bus.js";
import { openWatchCompletions, WATCH_COMPLETIONS_VIA } from "./completions-via-watch.js";
import { openStreamWorkload } from "./cortex-stream-workload.js";
import { ECHO_TOPIC, openUnaryWorkload } from "./cortex-unary-workload.js";
import { cpuPerJob, sampleCpu } from "./cpu.js";
import { flags } from "./flags.js";
import {
  medianOps,
  NO_OPS,
  type OpCounters,
  type OpsPerJob,
  openOpCounters,
  opsPerJob,
} from "./op-counters.js";
import { opsLine, ratiosOverBullmq } from "./report.js";
import { type Side, sideLabel } from "./side.js";
import { measureStartup } from "./startup.js";
import { median, type WorkloadFigures } from "./stats.js";
import { countStoreRoundTrips } from "./store-round-trip-pass.js";
import type { CommandCounts } from "./store-round-trips.js";
import { type ClientSummary, checkTargets, formatTargets } from "./targets.js";
import type { Workload } from "./workload.js";

const { n: N, w: W, rounds, payload, warmup, backend } = flags;
const sides: Side[] = [...flags.clients, ...(flags.vsBullmq ? (["bullmq"] as const) : [])];
/** Jobs of the MONITOR pass per side: enough that one-off set-up traffic is noise. */
const ROUND_TRIP_JOBS = Math.min(200, N);

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

type RoundResult = WorkloadFigures & { cpu_ms_per_job: Record<string, number> } & OpsPerJob;

/**
 * One measured round: CPU by process around run(), and the servers' operation counters
 * from a quiet point before it to a quiet point after it (its trailing work included).
 */
async function measuredRound(
  pids: Record<string, number | undefined>,
  counters: OpCounters | undefined,
  jobs: number,
  workload: Workload,
): Promise<RoundResult> {
  const ops0 = await counters?.sampleWhenQuiet();
  const cpu0 = sampleCpu(pids);
  const figures = await workload.run(jobs);
  const cpu_ms_per_job = cpuPerJob(cpu0, sampleCpu(pids), jobs);
  const ops1 = await counters?.sampleWhenQuiet();
  const ops = ops0 && ops1 ? opsPerJob(ops0, ops1, jobs) : NO_OPS;
  return { ...figures, cpu_ms_per_job, ...ops };
}

function summarise(rs: RoundResult[], roundTrips: CommandCounts | null): ClientSummary {
  const cpu: Record<string, number> = {};
  for (const key of Object.keys(rs[0]?.cpu_ms_per_job ?? {})) {
    cpu[key] = median(rs.map((r) => r.cpu_ms_per_job[key] ?? 0));
  }
  return {
    jobs_per_s: median(rs.map((r) => r.jobs_per_s)),
    p50_ms: median(rs.map((r) => r.p50_ms)),
    p90_ms: median(rs.map((r) => r.p90_ms)),
    p99_ms: median(rs.map((r) => r.p99_ms)),
    cpu_ms_per_job: cpu,
    store_round_trips_per_job: roundTrips,
    ...medianOps(rs),
  };
}

const stack = await startBenchStack({
  backend,
  withBullmq: flags.vsBullmq,
  concurrency: W,
  ...(flags.profile !== undefined && { profileDir: flags.profile }),
  splitWorkers: flags.splitWorkers,
});
const { daemon, cortexServers, bullmqRedis } = stack;
const cortexCounters =
  cortexServers && openOpCounters(cortexServers.redis.url, cortexServers.nats.monitorUrl);
const bullmqCounters = cortexCounters ?? (bullmqRedis && openOpCounters(bullmqRedis.url));
let resultBus: NatsConnection | undefined;

/** The unary client's completions: v1 results on the bus when there is one, else WatchEvents. */
async function openCompletions(): Promise<CompletionSource> {
  if (cortexServers === undefined) return openWatchCompletions(daemon.client, ECHO_TOPIC);
  resultBus ??= await connectResultBus(cortexServers.nats.url);
  return openBusCompletions(resultBus);
}

const open = async (side: Side, round: number): Promise<Workload> => {
  if (side === "stream") return openStreamWorkload(daemon, W, payload);
  if (side === "unary") return openUnaryWorkload(daemon, await openCompletions(), W, payload);
  if (bullmqRedis === undefined) throw new CortexError(ErrorCode.Internal, "BullMQ side without a Redis");
  return openBullmqWorkload(bullmqRedis.url, W, payload, round);
};

/** The Redis whose client round trips count for a side; none for cortex on embedded. */
const storeOf = (side: Side) => (side === "bullmq" ? bullmqRedis : cortexServers?.redis);

try {
  if (warmup > 0) {
    progress(`warm-up: ${warmup} jobs each (${sides.join(", ")})`);
    for (const side of sides) {
      const wl = await open(side, 0);
      await wl.run(warmup);
      await wl.close();
    }
  }
  const results: Record<Side, RoundResult[]> = { stream: [], unary: [], bullmq: [] };
  /** The daemon's resident size after each round: it must not grow from round to round. */
  const rssByRound: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const side of sides) {
      progress(`round ${r}/${rounds}: ${sideLabel(side)} N=${N} W=${W} (${backend})`);
      const pids = side === "bullmq" ? stack.bullmqPids : stack.cortexPids;
      const counters = side === "bullmq" ? bullmqCounters : cortexCounters;
      const wl = await open(side, r);
      try {
        results[side].push(await measuredRound(pids, counters, N, wl));
      } finally {
        await wl.close();
      }
    }
    rssByRound.push(daemon.rssMb());
  }
  const roundTrips: Record<Side, CommandCounts | null> = { stream: null, unary: null, bullmq: null };
  for (const side of sides) {
    const store = storeOf(side);
    if (store === undefined) continue;
    progress(`store round trips: ${sideLabel(side)}, ${ROUND_TRIP_JOBS} jobs under MONITOR`);
    const wl = await open(side, rounds + 1);
    try {
      roundTrips[side] = await countStoreRoundTrips(store.url, wl, ROUND_TRIP_JOBS);
    } finally {
      await wl.close();
    }
  }
  const summaryOf = (side: Side) =>
    results[side].length > 0 ? summarise(results[side], roundTrips[side]) : undefined;
  const stream = summaryOf("stream");
  const unary = summaryOf("unary");
  const bullmq = summaryOf("bullmq");
  const daemonRss = {
    daemon_peak_rss_mb: daemon.peakRssMb(),
    daemon_rss_mb: daemon.rssMb(),
    daemon_rss_mb_by_round: rssByRound,
  };
  const out: Record<string, unknown> = { N, W, payload_bytes: payload.length, rounds, backend };
  // The daemon's RSS rides on the first cortex section, as `cortex` always carried it.
  if (stream) out.cortex = { ...stream, ...daemonRss };
  if (unary) {
    const completion_via = cortexServers ? BUS_COMPLETIONS_VIA : WATCH_COMPLETIONS_VIA;
    out.cortex_unary = { ...(stream ? unary : { ...unary, ...daemonRss }), completion_via };
  }
  if (bullmq) {
    out.bullmq = bullmq;
    out.ratios = ratiosOverBullmq(stream, unary, bullmq);
  }
  const targets = checkTargets({ w: W, backend, stream, unary, bullmq });
  out.targets = targets;
  if (flags.startup) {
    progress("start-up: node -e 0 vs cortex --version / cortex ps");
    out.startup = measureStartup(daemon.env);
  }
  for (const side of sides) {
    const s = summaryOf(side);
    if (s !== undefined) progress(opsLine(side, s));
  }
  progress(`targets:\n${formatTargets(targets)}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await resultBus?.close();
  // On nats both sides share one counter connection.
  await Promise.all([...new Set([cortexCounters, bullmqCounters])].map((c) => c?.close()));
  await stack.stop();
}
