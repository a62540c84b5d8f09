/** The bench's output: the JSON line's sections and the per-side op lines for stderr. */
import type { Side } from "./side.js";
import { type ClientSummary, ratio } from "./targets.js";

export function ratiosOverBullmq(
  stream: ClientSummary | undefined,
  unary: ClientSummary | undefined,
  bullmq: ClientSummary,
): Record<string, number | null> {
  return {
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

const top = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .slice(0, 6)
    .map(([c, v]) => `${c} ${v}`)
    .join(", ");

/** One stderr line of a side's operation counts. */
export function opsLine(side: Side, s: ClientSummary): string {
  const trips = s.store_round_trips_per_job;
  const cmds = s.redis_commands_per_job;
  const bus = s.bus_msgs_per_job;
  const parts = [
    trips ? `${trips.total} Redis round trips/job (${top(trips.by_command)})` : "no Redis",
    ...(cmds ? [`${cmds.total} Redis commands/job counting those scripts ran`] : []),
    bus ? `${bus.total} NATS msgs/job (in ${bus.in}, out ${bus.out})` : "no NATS",
  ];
  return `${side}: ${parts.join("; ")}`;
}
