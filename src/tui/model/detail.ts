/** The job detail view's state: opening, loading, its timeline and live output. Pure. */
import type { GetJobResponse, JobEvent } from "../../gen/cortex/v1/api.js";
import { type DetailState, MAX_OUTPUT_CHARS } from "./state.js";

export function openDetail(jobId: string): DetailState {
  return {
    jobId,
    contextJson: "",
    resultJson: "",
    timeline: [],
    output: "",
    outputTruncated: false,
    loading: true,
    streaming: false,
    scroll: 0,
    follow: true,
  };
}

const eventKey = (e: JobEvent) => (e.seq > 0 ? `s${e.seq}` : `t${e.atMs}:${e.to}`);

/** Adds state events to a timeline: once each, in seq (then time) order. */
export function mergeTimeline(timeline: readonly JobEvent[], events: readonly JobEvent[]): JobEvent[] {
  const fresh = events.filter((e) => e.kind === "state");
  if (fresh.length === 0) return [...timeline];
  const byKey = new Map(timeline.map((e) => [eventKey(e), e]));
  for (const e of fresh) byKey.set(eventKey(e), e);
  return [...byKey.values()].sort((a, b) =>
    a.seq > 0 && b.seq > 0 ? a.seq - b.seq : a.atMs - b.atMs || a.seq - b.seq,
  );
}

function appendOutput(d: DetailState, text: string): DetailState {
  if (text === "") return d;
  const all = d.output + text;
  if (all.length <= MAX_OUTPUT_CHARS) return { ...d, output: all };
  return { ...d, output: all.slice(all.length - MAX_OUTPUT_CHARS), outputTruncated: true };
}

const onOwnLine = (output: string, note: string) =>
  `${output !== "" && !output.endsWith("\n") ? "\n" : ""}· ${note}\n`;

export function applyDetailEvents(d: DetailState, events: readonly JobEvent[]): DetailState {
  let next: DetailState = { ...d, timeline: mergeTimeline(d.timeline, events) };
  for (const ev of events) {
    if (ev.jobId !== "" && ev.jobId !== d.jobId) continue;
    if (ev.kind === "token") next = appendOutput(next, ev.text);
    else if (ev.kind === "progress" && ev.text !== "")
      next = appendOutput(next, onOwnLine(next.output, ev.text));
    else if (ev.kind === "dropped")
      next = appendOutput(
        next,
        onOwnLine(next.output, `${ev.dropped} updates dropped (the view fell behind)`),
      );
  }
  return next;
}

export function applyDetailResponse(d: DetailState, res: GetJobResponse): DetailState {
  const next: DetailState = {
    ...d,
    timeline: mergeTimeline(d.timeline, res.events),
    contextJson: res.contextJson || d.contextJson,
    resultJson: res.resultJson || d.resultJson,
    loading: false,
  };
  if (res.job) next.job = res.job;
  delete next.error;
  return next;
}

/** The job's latest known state: the newest of the listing and the timeline. */
export function detailState(d: DetailState): string {
  const last = d.timeline[d.timeline.length - 1];
  if (last === undefined) return d.job?.state ?? "";
  if (d.job === undefined) return last.to;
  return last.atMs > d.job.updatedAtMs ? last.to : d.job.state;
}
