/**
 * `npm run bench`: N echo jobs through the gateway with W in flight, each waiting for its
 * result, against its own nats-server, redis-server and daemon, by a stream client
 * (SubmitAndWatchMany) and a unary v1-style client (SubmitJob + sys.job.result).
 * `--vs bullmq` runs the same workload on BullMQ against the same Redis, alternating rounds.
 * Prints one JSON line on stdout and the target checks as a table on stderr.
 */
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { startNats } from "../test/support/nats-server.js";
import { startRedis } from "../test/support/redis-server.js";
import { openBullmqWorkload } from "./bullmq-workload.js";
import { startCortexDaemon } from "./cortex-daemon.js";
import { openStreamWorkload } from "./cortex-stream-workload.js";
import { connectResultBus, openUnaryWorkload } from "./cortex-unary-workload.js";
import { cpuPerJob, findServerPid, sampleCpu } from "./cpu.js";
import { flags } from "./flags.js";
import { medianOps, type OpCounters, type OpsPerJob, openOpCounters, opsPerJob } from "./op-counters.js";
import { measureStartup } from "./startup.js";
import { median, type WorkloadFigures } from "./stats.js";
import { type ClientSummary, checkTargets, formatTargets, ratio } from "./targets.js";
import type { Workload } from "./workload.js";

const { n: N, w: W, rounds, payload, warmup } = flags;
type Side = "stream" | "unary" | "bullmq";
const sides: Side[] = [...flags.clients, ...(flags.vsBullmq ? (["bullmq"] as const) : [])];

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

type RoundResult = WorkloadFigures & { cpu_ms_per_job: Record<string, number> } & OpsPerJob;

/**
 * One measured round: CPU by process around run(), and the servers' operation counters
 * from a quiet point before it to a quiet point after it (its trailing work included).
 */
async function measuredRound(
  pids: Record<string, number | undefined>,
  counters: OpCounters,
  jobs: number,
  workload: Workload,
): Promise<RoundResult> {
  const ops0 = await counters.sampleWhenQuiet();
  const cpu0 = sampleCpu(pids);
  const figures = await workload.run(jobs);
  const cpu_ms_per_job = cpuPerJob(cpu0, sampleCpu(pids), jobs);
  const ops1 = await counters.sampleWhenQuiet();
  return { ...figures, cpu_ms_per_job, ...opsPerJob(ops0, ops1, jobs) };
}

function summarise(rs: RoundResult[]): ClientSummary {
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
    ...medianOps(rs),
  };
}

const [nats, redis] = await Promise.all([startNats(), startRedis()]);
const daemon = await startCortexDaemon(nats.url, redis.url, W, flags.profile, flags.splitWorkers);
const counters = openOpCounters(redis.url, nats.monitorUrl);
const resultBus = flags.clients.includes("unary") ? await connectResultBus(nats.url) : undefined;
const redisPid = findServerPid("redis-server", redis.port);
const cortexPids = {
  self: 0,
  daemon: daemon.pid,
  ...(daemon.workerPid === undefined ? {} : { worker: daemon.workerPid }),
  nats: findServerPid("nats-server", nats.port),
  redis: redisPid,
};
const pidsOf: Record<Side, Record<string, number | undefined>> = {
  stream: cortexPids,
  unary: cortexPids,
  bullmq: { self: 0, redis: redisPid },
};

const open = async (side: Side, round: number): Promise<Workload> => {
  if (side === "stream") return openStreamWorkload(daemon, W, payload);
  if (side === "unary") {
    if (resultBus === undefined)
      throw new CortexError(ErrorCode.Internal, "unary client without a bus connection");
    return openUnaryWorkload(daemon, resultBus, W, payload);
  }
  return openBullmqWorkload(redis.url, W, payload, round);
};

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
      progress(`round ${r}/${rounds}: ${side === "bullmq" ? "bullmq" : `cortex ${side}`} N=${N} W=${W}`);
      const wl = await open(side, r);
      try {
        results[side].push(await measuredRound(pidsOf[side], counters, N, wl));
      } finally {
        await wl.close();
      }
    }
    rssByRound.push(daemon.rssMb());
  }
  const summaryOf = (side: Side) => (results[side].length > 0 ? summarise(results[side]) : undefined);
  const stream = summaryOf("stream");
  const unary = summaryOf("unary");
  const bullmq = summaryOf("bullmq");
  const daemonRss = {
    daemon_peak_rss_mb: daemon.peakRssMb(),
    daemon_rss_mb: daemon.rssMb(),
    daemon_rss_mb_by_round: rssByRound,
  };
  const out: Record<string, unknown> = { N, W, payload_bytes: payload.length, rounds };
  // The daemon's RSS rides on the first cortex section, as `cortex` always carried it.
  if (stream) out.cortex = { ...stream, ...daemonRss };
  if (unary) out.cortex_unary = stream ? unary : { ...unary, ...daemonRss };
  if (bullmq) {
    out.bullmq = bullmq;
    out.ratios = {
      ...(stream && {
        throughput_cortex_over_bullmq: ratio(stream.jobs_per_s, bullmq.jobs_per_s),
        p50_cortex_over_bullmq: ratio(stream.p50_ms, bullmq.p50_ms),
        p99_cortex_over_bullmq: ratio(stream.p99_ms, bullmq.p99_ms),
        cpu_cortex_over_bullmq: ratio(stream.cpu_ms_per_job.total, bullmq.cpu_ms_per_job.total),
      }),
      ...(unary && {
        throughput_unary_over_bullmq: ratio(unary.jobs_per_s, bullmq.jobs_per_s),
        p50_unary_over_bullmq: ratio(unary.p50_ms, bullmq.p50_ms),
        p99_unary_over_bullmq: ratio(unary.p99_ms, bullmq.p99_ms),
        cpu_unary_over_bullmq: ratio(unary.cpu_ms_per_job.total, bullmq.cpu_ms_per_job.total),
      }),
    };
  }
  const targets = checkTargets({ w: W, stream, unary, bullmq });
  out.targets = targets;
  if (flags.startup) {
    progress("start-up: node -e 0 vs cortex --version / cortex ps");
    out.startup = measureStartup(daemon.env);
  }
  for (const side of sides) {
    const s = summaryOf(side);
    if (s === undefined) continue;
    const top = Object.entries(s.store_calls_per_job.by_command)
      .slice(0, 6)
      .map(([c, v]) => `${c} ${v}`)
      .join(", ");
    progress(
      `${side}: ${s.store_calls_per_job.total} Redis commands/job (${top}); ` +
        `${s.bus_msgs_per_job.total} NATS msgs/job (in ${s.bus_msgs_per_job.in}, out ${s.bus_msgs_per_job.out})`,
    );
  }
  progress(`targets:\n${formatTargets(targets)}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await resultBus?.close();
  await counters.close();
  await daemon.stop();
  await Promise.all([nats.stop(), redis.stop()]);
}
