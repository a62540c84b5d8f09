import ansis from "ansis";
import type { JobEvent, JobInfo } from "../gen/cortex/v1/api.js";
import { colourState } from "./state-colour.js";

export function describeTransition(e: Pick<JobEvent, "to" | "workerId" | "reason" | "attempt">): string {
  const parts = [`→ ${colourState(e.to)}`];
  if (e.workerId) parts.push(ansis.dim(`worker ${e.workerId}`));
  if (e.attempt > 1) parts.push(ansis.dim(`attempt ${e.attempt}`));
  if (e.reason) parts.push(ansis.dim(`(${e.reason})`));
  return parts.join(" ");
}

export function jobSummaryLines(job: JobInfo): string[] {
  const ts = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : "-");
  const lines = [
    `job       ${job.jobId}`,
    `state     ${colourState(job.state)}${job.reason ? ansis.dim(` (${job.reason})`) : ""}`,
    ...(job.waitingReason ? [`waiting   ${ansis.yellow(job.waitingReason)}`] : []),
    `topic     ${job.topic}    tenant ${job.tenant}    priority ${job.priority}`,
    `trace     ${job.traceId}`,
    `attempts  ${job.attempts}${job.workerId ? `    worker ${job.workerId}` : ""}`,
    `created   ${ts(job.createdAtMs)}`,
  ];
  if (job.finishedAtMs > 0)
    lines.push(`finished  ${ts(job.finishedAtMs)} (${job.finishedAtMs - job.createdAtMs} ms)`);
  if (job.resultPtr) lines.push(`result    ${job.resultPtr}`);
  return lines;
}

export function timelineLines(events: JobEvent[], createdAtMs: number): string[] {
  return events
    .filter((e) => e.kind === "state")
    .map((e) => `  +${String(Math.max(0, e.atMs - createdAtMs)).padStart(6)} ms  ${describeTransition(e)}`);
}

/**
 * A state change as `--wait` prints it. A hold's reason is left to the waiting line that
 * follows it (which also says how to decide), so it is said once.
 */
export function followedTransition(state: string, e?: JobEvent): string {
  const move = e ?? { to: state, workerId: "", reason: "", attempt: 0 };
  return describeTransition(state === "AWAITING_APPROVAL" ? { ...move, reason: "" } : move);
}
