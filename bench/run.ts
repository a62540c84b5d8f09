/**
 * `npm run bench`: N echo jobs through the gateway with W in flight, each waiting for its
 * result, against its own nats-server, redis-server and daemon. `--vs bullmq` runs the same
 * workload on BullMQ against the same Redis, alternating rounds. Prints one JSON line.
 */
import { parseArgs } from "node:util";
import { startNats } from "../test/support/nats-server.js";
import { startRedis } from "../test/support/redis-server.js";
import { runBullmqWorkload } from "./bullmq-workload.js";
import { runCortexWorkload, startCortexDaemon } from "./cortex-workload.js";
import { cpuPerJob, findServerPid, sampleCpu } from "./cpu.js";
import { measureStartup } from "./startup.js";
import { median, type WorkloadFigures } from "./stats.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    w: { type: "string", default: "64" },
    payload: { type: "string", default: "100" },
    rounds: { type: "string", default: "2" },
    vs: { type: "string" },
    startup: { type: "boolean", default: true },
    "no-startup": { type: "boolean", default: false },
    warmup: { type: "string", default: "200" },
    profile: { type: "string" },
    "split-workers": { type: "boolean", default: false },
  },
});
const int = (name: string, v: string | undefined) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return x;
};
const N = int("n", values.n);
const W = Math.max(1, int("w", values.w));
const rounds = Math.max(1, int("rounds", values.rounds));
const payload = "x".repeat(int("payload", values.payload));
const warmup = int("warmup", values.warmup);
if (values.vs !== undefined && values.vs !== "bullmq") throw new Error("--vs takes only bullmq");

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const combine = (rs: WorkloadFigures[]): WorkloadFigures => ({
  jobs_per_s: median(rs.map((r) => r.jobs_per_s)),
  p50_ms: median(rs.map((r) => r.p50_ms)),
  p90_ms: median(rs.map((r) => r.p90_ms)),
  p99_ms: median(rs.map((r) => r.p99_ms)),
});

/** Runs a workload and adds the CPU each process spent per job ("self" = the bench client). */
async function measured(
  pids: Record<string, number | undefined>,
  jobs: number,
  run: () => Promise<WorkloadFigures>,
): Promise<WorkloadFigures & { cpu_ms_per_job: Record<string, number> }> {
  const before = sampleCpu(pids);
  const figures = await run();
  return { ...figures, cpu_ms_per_job: cpuPerJob(before, sampleCpu(pids), jobs) };
}

const cpuOf = (rs: { cpu_ms_per_job: Record<string, number> }[]) => {
  const out: Record<string, number> = {};
  for (const key of Object.keys(rs[0]?.cpu_ms_per_job ?? {})) {
    out[key] = median(rs.map((r) => r.cpu_ms_per_job[key] ?? 0));
  }
  return out;
};

const [nats, redis] = await Promise.all([startNats(), startRedis()]);
const daemon = await startCortexDaemon(nats.url, redis.url, W, values.profile, values["split-workers"]);
const redisPid = findServerPid("redis-server", redis.port);
const cortexPids = {
  self: 0,
  daemon: daemon.pid,
  ...(daemon.workerPid === undefined ? {} : { worker: daemon.workerPid }),
  nats: findServerPid("nats-server", nats.port),
  redis: redisPid,
};
const bullmqPids = { self: 0, redis: redisPid };
try {
  if (warmup > 0) {
    progress(`warm-up: ${warmup} jobs`);
    await runCortexWorkload(daemon, warmup, W, payload);
    if (values.vs) await runBullmqWorkload(redis.url, warmup, W, payload, 0);
  }
  const cortexRounds: Awaited<ReturnType<typeof measured>>[] = [];
  const bullRounds: Awaited<ReturnType<typeof measured>>[] = [];
  /** The daemon's resident size after each round: it must not grow from round to round. */
  const rssByRound: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    progress(`round ${r}/${rounds}: cortex N=${N} W=${W}`);
    cortexRounds.push(await measured(cortexPids, N, () => runCortexWorkload(daemon, N, W, payload)));
    rssByRound.push(daemon.rssMb());
    if (values.vs) {
      progress(`round ${r}/${rounds}: bullmq N=${N} W=${W}`);
      bullRounds.push(await measured(bullmqPids, N, () => runBullmqWorkload(redis.url, N, W, payload, r)));
    }
  }
  const cortex = {
    ...combine(cortexRounds),
    cpu_ms_per_job: cpuOf(cortexRounds),
    daemon_peak_rss_mb: daemon.peakRssMb(),
    daemon_rss_mb: daemon.rssMb(),
    daemon_rss_mb_by_round: rssByRound,
  };
  const out: Record<string, unknown> = { N, W, payload_bytes: payload.length, rounds, cortex };
  if (values.vs) {
    const bullmq = { ...combine(bullRounds), cpu_ms_per_job: cpuOf(bullRounds) };
    out.bullmq = bullmq;
    const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 100) / 100);
    out.ratios = {
      throughput_cortex_over_bullmq: ratio(cortex.jobs_per_s, bullmq.jobs_per_s),
      p50_cortex_over_bullmq: ratio(cortex.p50_ms, bullmq.p50_ms),
      p99_cortex_over_bullmq: ratio(cortex.p99_ms, bullmq.p99_ms),
    };
  }
  if (values.startup && !values["no-startup"]) {
    progress("start-up: node -e 0 vs cortex --version / cortex ps");
    out.startup = measureStartup(daemon.env);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await daemon.stop();
  await Promise.all([nats.stop(), redis.stop()]);
}
