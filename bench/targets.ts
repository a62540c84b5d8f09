/** The issue's targets ("lean job path") checked against a run: ratio, limit, MET / NOT MET. */
import type { Backend } from "./flags.js";
import type { OpsPerJob } from "./op-counters.js";
import type { WorkloadFigures } from "./stats.js";
import type { CommandCounts } from "./store-round-trips.js";

/** One side's figures; the op counts are null where the side has no such server. */
export type ClientSummary = WorkloadFigures & { cpu_ms_per_job: Record<string, number> } & OpsPerJob & {
    store_round_trips_per_job: CommandCounts | null;
  };

export interface Target {
  name: string;
  value: number | null;
  op: ">=" | "<=";
  limit: number;
  /** null: this run cannot tell (wrong W, or a side it did not run). */
  met: boolean | null;
  note?: string;
}

export interface TargetInputs {
  w: number;
  backend: Backend;
  stream?: ClientSummary;
  unary?: ClientSummary;
  bullmq?: ClientSummary;
}

export const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100;

function target(name: string, value: number | null, op: Target["op"], limit: number, unmet?: string): Target {
  if (unmet !== undefined || value === null)
    return { name, value, op, limit, met: null, note: unmet ?? "not measured in this run" };
  return { name, value, op, limit, met: op === ">=" ? value >= limit : value <= limit };
}

/** Why a target cannot be told from this run, if it cannot: the first missing condition. */
const firstReason = (...reasons: (string | false)[]): string | undefined =>
  reasons.find((r): r is string => r !== false);

export function checkTargets({ w, backend, stream, unary, bullmq }: TargetInputs): Target[] {
  const noBull = bullmq === undefined && "needs --vs bullmq";
  const noStream = stream === undefined && "needs --client stream or both";
  const noUnary = unary === undefined && "needs --client unary or both";
  const needW = (want: number) => w !== want && `needs --w ${want}`;
  const out: Target[] = [
    target(
      "throughput W=64, stream ÷ BullMQ",
      ratio(stream?.jobs_per_s, bullmq?.jobs_per_s),
      ">=",
      1.2,
      firstReason(needW(64), noStream, noBull),
    ),
    target(
      "p99 W=64, stream ÷ BullMQ",
      ratio(stream?.p99_ms, bullmq?.p99_ms),
      "<=",
      1.0,
      firstReason(needW(64), noStream, noBull),
    ),
  ];
  if (w === 1)
    out.push(
      target(
        "p50 W=1, stream ÷ BullMQ",
        ratio(stream?.p50_ms, bullmq?.p50_ms),
        "<=",
        1.5,
        firstReason(noStream, noBull),
      ),
    );
  out.push(
    target(
      "CPU per job (whole stack), stream ÷ BullMQ",
      ratio(stream?.cpu_ms_per_job.total, bullmq?.cpu_ms_per_job.total),
      "<=",
      1.0,
      firstReason(noStream, noBull),
    ),
    target(
      "throughput, unary ÷ BullMQ",
      ratio(unary?.jobs_per_s, bullmq?.jobs_per_s),
      ">=",
      0.8,
      firstReason(noUnary, noBull),
    ),
  );
  for (const [label, s] of [
    ["stream", stream],
    ["unary", unary],
  ] as const) {
    if (s === undefined) continue;
    // The embedded backend has no Redis and no NATS: these limits do not apply to it.
    const embedded = backend === "embedded";
    out.push(
      target(
        `store calls per job, ${label}`,
        s.store_round_trips_per_job?.total ?? null,
        "<=",
        3,
        firstReason(embedded && "not applicable on embedded: no Redis"),
      ),
      target(
        `bus messages per job, ${label}`,
        s.bus_msgs_per_job?.total ?? null,
        "<=",
        8,
        firstReason(embedded && "not applicable on embedded: no NATS"),
      ),
    );
  }
  return out;
}

/** A readable table of the targets for stderr. */
export function formatTargets(targets: readonly Target[]): string {
  const width = Math.max(...targets.map((t) => t.name.length));
  const lines = targets.map((t) => {
    const value = t.value === null ? "-" : String(t.value);
    const result = t.met === null ? `n/a (${t.note})` : t.met ? "MET" : "NOT MET";
    return `  ${t.name.padEnd(width)}  ${value.padStart(8)}  ${`${t.op} ${t.limit}`.padEnd(6)}  ${result}`;
  });
  return [`  ${"target".padEnd(width)}  ${"value".padStart(8)}  limit   result`, ...lines].join("\n");
}
