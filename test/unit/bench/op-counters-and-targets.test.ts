import { describe, expect, it } from "vitest";
import { medianOps, opsPerJob, parseCommandstats } from "../../../bench/op-counters.js";
import { type ClientSummary, checkTargets } from "../../../bench/targets.js";

const INFO = [
  "# Commandstats",
  "cmdstat_evalsha:calls=30,usec=100,usec_per_call=3.33,rejected_calls=0,failed_calls=0",
  "cmdstat_info:calls=7,usec=10,usec_per_call=1.43,rejected_calls=0,failed_calls=0",
  "cmdstat_client|setname:calls=2,usec=1,usec_per_call=0.5,rejected_calls=0,failed_calls=0",
  "",
].join("\r\n");

describe("bench op counters", () => {
  it("reads calls by command and leaves the bench's own INFO out", () => {
    expect(parseCommandstats(INFO)).toEqual({ evalsha: 30, "client|setname": 2 });
  });

  it("gives per-job deltas, commands that did not move left out", () => {
    const before = { redis: { evalsha: 10, hset: 5 }, nats: { in: 100, out: 50 } };
    const after = { redis: { evalsha: 40, hset: 5, get: 10 }, nats: { in: 160, out: 90 } };
    expect(opsPerJob(before, after, 10)).toEqual({
      redis_commands_per_job: { total: 4, by_command: { evalsha: 3, get: 1 } },
      bus_msgs_per_job: { total: 10, in: 6, out: 4 },
    });
  });

  it("has no bus figure without a nats-server", () => {
    const ops = opsPerJob({ redis: { evalsha: 0 } }, { redis: { evalsha: 20 } }, 10);
    expect(ops.bus_msgs_per_job).toBeNull();
    expect(medianOps([ops, ops]).bus_msgs_per_job).toBeNull();
  });

  it("takes the median of each figure over rounds", () => {
    const r = (t: number) => ({
      redis_commands_per_job: { total: t, by_command: { evalsha: t } },
      bus_msgs_per_job: { total: t, in: t, out: 0 },
    });
    expect(medianOps([r(1), r(5), r(3)]).redis_commands_per_job).toEqual({
      total: 3,
      by_command: { evalsha: 3 },
    });
  });
});

const summary = (jobsPerS: number, p99: number, cpu: number, calls: number, msgs: number): ClientSummary => ({
  jobs_per_s: jobsPerS,
  p50_ms: p99 / 2,
  p90_ms: p99,
  p99_ms: p99,
  cpu_ms_per_job: { total: cpu },
  store_round_trips_per_job: { total: calls, by_command: {} },
  redis_commands_per_job: { total: calls * 15, by_command: {} },
  bus_msgs_per_job: { total: msgs, in: msgs, out: 0 },
});

describe("bench targets", () => {
  const bullmq = summary(1000, 20, 0.4, 50, 0);

  it("checks W=64 ratios as MET / NOT MET", () => {
    const stream = summary(1300, 25, 0.3, 2, 9);
    const t = checkTargets({ w: 64, backend: "nats", stream, unary: summary(700, 30, 0.5, 3, 6), bullmq });
    const met = Object.fromEntries(t.map((x) => [x.name, x.met]));
    expect(met).toEqual({
      "throughput W=64, stream ÷ BullMQ": true,
      "p99 W=64, stream ÷ BullMQ": false,
      "CPU per job (whole stack), stream ÷ BullMQ": true,
      "throughput, unary ÷ BullMQ": false,
      "store calls per job, stream": true,
      "bus messages per job, stream": false,
      "store calls per job, unary": true,
      "bus messages per job, unary": true,
    });
  });

  it("cannot tell W=64 targets at another W, and adds the W=1 one only at W=1", () => {
    const stream = summary(500, 10, 0.3, 2, 9);
    const at16 = checkTargets({ w: 16, backend: "nats", stream, bullmq });
    expect(at16.find((x) => x.name.startsWith("throughput W=64"))).toMatchObject({
      value: 0.5,
      met: null,
      note: "needs --w 64",
    });
    expect(at16.some((x) => x.name.startsWith("p50 W=1"))).toBe(false);
    expect(
      checkTargets({ w: 1, backend: "nats", stream, bullmq }).find((x) => x.name.startsWith("p50 W=1"))?.met,
    ).toBe(true);
  });

  it("says which flag a target needs when a side did not run", () => {
    const t = checkTargets({ w: 64, backend: "nats", unary: summary(900, 10, 1, 3, 8) });
    expect(t.find((x) => x.name === "throughput, unary ÷ BullMQ")?.note).toBe("needs --vs bullmq");
    expect(t.find((x) => x.name.startsWith("throughput W=64"))?.note).toBe("needs --client stream or both");
  });

  it("counts store calls as client round trips, not the commands scripts ran", () => {
    const t = checkTargets({ w: 64, backend: "nats", stream: summary(1300, 25, 0.3, 2, 7), bullmq });
    expect(t.find((x) => x.name === "store calls per job, stream")).toMatchObject({ value: 2, met: true });
  });

  it("marks the store and bus targets not applicable on embedded", () => {
    const stream = {
      ...summary(1300, 25, 0.3, 0, 0),
      store_round_trips_per_job: null,
      redis_commands_per_job: null,
      bus_msgs_per_job: null,
    };
    const t = checkTargets({ w: 64, backend: "embedded", stream, bullmq });
    expect(t.find((x) => x.name === "store calls per job, stream")).toMatchObject({
      value: null,
      met: null,
      note: "not applicable on embedded: no Redis",
    });
    expect(t.find((x) => x.name === "bus messages per job, stream")?.note).toBe(
      "not applicable on embedded: no NATS",
    );
  });
});
