/** The job detail view: summary, context, timeline, live output and result. Pure. */
import type { JobInfo } from "../../gen/cortex/v1/api.js";
import { clock, formatAge, formatDuration, jobDurationMs, stateTone, wrapLines } from "../format.js";
import { detailState } from "../model/detail.js";
import { isTerminalState } from "../model/jobs.js";
import type { DetailState, JobRow } from "../model/state.js";
import { clipLine, fillLine, type Line, seg, styleLine } from "./line.js";

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function compact(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return json;
  }
}

type Summary = Pick<JobInfo, "topic" | "tenant" | "attempts" | "workerId" | "reason" | "traceId"> & {
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
};

function summary(d: DetailState, row: JobRow | undefined): Summary | undefined {
  if (d.job) return d.job;
  if (row) return { ...row, traceId: "" };
  return undefined;
}

export function detailHeaderLines(
  d: DetailState,
  row: JobRow | undefined,
  now: number,
  columns: number,
): Line[] {
  const state = detailState(d) || row?.state || "";
  const title = fillLine(
    [
      seg(" JOB ", { bold: true }),
      seg(`${d.jobId}  `),
      seg(state || "…", { color: stateTone(state), bold: true }),
    ],
    columns,
  );
  const lines: Line[] = [styleLine(title, { inverse: true })];
  const s = summary(d, row);
  if (s === undefined) {
    lines.push([seg(d.error ?? "loading…", { color: d.error ? "red" : "gray" })]);
    return lines;
  }
  lines.push(
    clipLine(
      [
        seg("topic "),
        seg(s.topic, { bold: true }),
        seg(`  tenant ${s.tenant || "-"}  attempts ${s.attempts}`),
        seg(s.workerId ? `  worker ${s.workerId}` : "", { dim: true }),
      ],
      columns,
    ),
  );
  const duration = jobDurationMs({ ...s, state }, now);
  lines.push(
    clipLine(
      [
        seg(
          `created ${s.createdAtMs > 0 ? `${clock(s.createdAtMs)} (${formatAge(now - s.createdAtMs)} ago)` : "-"}`,
        ),
        seg(`  duration ${duration === undefined ? "-" : formatDuration(duration)}`),
        seg(s.traceId ? `  trace ${s.traceId}` : "", { dim: true }),
      ],
      columns,
    ),
  );
  if (s.reason) lines.push(clipLine([seg("reason "), seg(s.reason, { color: stateTone(state) })], columns));
  const waiting = d.job?.waitingReason;
  // The gateway's text (no live worker in the pool, and how to start one), while the job still waits.
  if (waiting && (state === "PENDING" || state === "SCHEDULED")) {
    lines.push(clipLine([seg("waiting "), seg(waiting, { color: "yellow" })], columns));
  }
  const approval = d.job?.approval;
  if (approval && state === "AWAITING_APPROVAL") {
    const who = approval.approvers.length > 0 ? approval.approvers.join(", ") : `tenant ${s.tenant}`;
    lines.push(
      clipLine(
        [
          seg("◆ awaiting approval ", { color: "magenta", bold: true }),
          seg(`rule ${approval.ruleId || "(default)"}  approvers ${who}`),
          seg(`  expires in ${formatAge(approval.expiresAtMs - now)}`, { dim: true }),
          seg("  a approve · r reject", { color: "magenta" }),
        ],
        columns,
      ),
    );
  }
  if (d.error) lines.push(clipLine([seg(d.error, { color: "red" })], columns));
  return lines;
}

const section = (title: string, note = ""): Line => [
  seg(title, { bold: true }),
  seg(note ? `  ${note}` : "", { dim: true }),
];

/** Every body line; the view shows a window of them. */
export function detailBodyLines(d: DetailState, columns: number): Line[] {
  const width = Math.max(1, columns - 2);
  const indent = (text: string, style: Parameters<typeof seg>[1] = {}): Line => [seg(`  ${text}`, style)];
  const lines: Line[] = [];
  const state = detailState(d);
  const createdAt = d.job?.createdAtMs || d.timeline[0]?.atMs || 0;

  lines.push(section("CONTEXT"));
  if (d.contextJson === "") lines.push(indent(d.loading ? "…" : "(none)", { dim: true }));
  else for (const l of wrapLines(compact(d.contextJson), width).slice(0, 3)) lines.push(indent(l));

  lines.push(section("TIMELINE"));
  if (d.timeline.length === 0) lines.push(indent(d.loading ? "…" : "(no events)", { dim: true }));
  for (const e of d.timeline) {
    const at = createdAt > 0 ? `+${formatDuration(Math.max(0, e.atMs - createdAt))}` : clock(e.atMs);
    lines.push([
      seg(`  ${at.padStart(8)}  `, { dim: true }),
      seg(e.to, { color: stateTone(e.to) }),
      seg(
        [
          e.workerId ? ` by ${e.workerId}` : "",
          e.attempt > 1 ? ` attempt ${e.attempt}` : "",
          e.reason ? ` (${e.reason})` : "",
        ].join(""),
        { dim: true },
      ),
    ]);
  }

  const terminal = isTerminalState(state);
  // Only jobs that stream (LLM tokens, step notes) get an OUTPUT section.
  if (d.output !== "") {
    lines.push(section("OUTPUT", d.streaming && !terminal ? "live" : d.outputTruncated ? "(tail)" : ""));
    for (const l of wrapLines(d.output.replace(/\n$/, ""), width)) lines.push(indent(l, { color: "white" }));
  }

  lines.push(section("RESULT"));
  if (d.resultJson !== "") for (const l of wrapLines(pretty(d.resultJson), width)) lines.push(indent(l));
  else if (terminal) lines.push(indent("(no result)", { dim: true }));
  else lines.push(indent(d.loading ? "…" : "waiting for the job to finish…", { dim: true }));
  return lines.map((l) => clipLine(l, columns));
}

/** First body line to show: the newest output while a running job is followed, else the scroll position. */
export function detailOffset(d: DetailState, total: number, height: number): number {
  const max = Math.max(0, total - height);
  if (d.follow && !isTerminalState(detailState(d)) && d.output !== "") return max;
  return Math.min(d.scroll, max);
}
