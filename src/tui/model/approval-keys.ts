/**
 * Deciding a held job from `cortex watch`: `a` approves the selected job, `r` asks for a
 * reason (Enter sends, Esc cancels) and rejects it. The new state arrives as the job's
 * events, like any other change. Pure.
 */
import { withMessage } from "./apply.js";
import { selectedJob } from "./selectors.js";
import type { KeyPress, Transition, WatchState } from "./state.js";

export const AWAITING_APPROVAL = "AWAITING_APPROVAL";
const MAX_REASON = 200;

const done = (state: WatchState, ...effects: Transition["effects"]): Transition => ({ state, effects });

/** The job a key acts on: the open job's, else the selected row's. */
function target(state: WatchState): { jobId: string; topic: string; state: string } | undefined {
  if (state.detail === undefined) return selectedJob(state);
  return (
    state.jobs.get(state.detail.jobId) ?? {
      jobId: state.detail.jobId,
      topic: state.detail.job?.topic ?? "",
      state: state.detail.job?.state ?? "",
    }
  );
}

function heldTarget(state: WatchState): Transition | { jobId: string; topic: string } {
  const job = target(state);
  if (job === undefined) return done(withMessage(state, "no job selected", "gray"));
  if (job.state !== AWAITING_APPROVAL)
    return done(
      withMessage(state, `${job.jobId.slice(0, 8)} is ${job.state}, not waiting for approval`, "gray"),
    );
  return job;
}

export function approveSelected(state: WatchState): Transition {
  const job = heldTarget(state);
  if ("effects" in job) return job;
  return done(withMessage(state, `approving ${job.jobId.slice(0, 8)}…`, "magenta"), {
    type: "decide",
    jobId: job.jobId,
    approve: true,
    reason: "",
  });
}

export function askReject(state: WatchState): Transition {
  const job = heldTarget(state);
  if ("effects" in job) return job;
  return done({ ...state, rejectInput: { jobId: job.jobId, topic: job.topic, reason: "" } });
}

/** Printable text typed (not a control or navigation key). */
function typed(key: KeyPress): string {
  if (key.ctrl || key.meta || key.escape || key.return || key.tab) return "";
  return Array.from(key.input)
    .filter((c) => c >= " " && c !== "\x7f")
    .join("");
}

export function rejectKey(
  state: WatchState,
  input: NonNullable<WatchState["rejectInput"]>,
  key: KeyPress,
): Transition {
  // Text and Enter read in one chunk (a paste, a busy terminal): the text, then Enter.
  const enter = key.return ? -1 : key.input.search(/[\r\n]/);
  if (enter >= 0) {
    const typedFirst = rejectKey(state, input, { input: key.input.slice(0, enter) });
    const next = typedFirst.state.rejectInput ?? input;
    return rejectKey(typedFirst.state, next, { input: "", return: true });
  }
  const { rejectInput: _, ...rest } = state;
  if (key.escape) return done(withMessage(rest, "not rejected", "gray"));
  if (key.return) {
    const reason = input.reason.trim();
    if (reason === "")
      return done(withMessage(state, "a rejection needs a reason: type it, then Enter", "yellow"));
    return done(withMessage(rest, `rejecting ${input.jobId.slice(0, 8)}…`, "magenta"), {
      type: "decide",
      jobId: input.jobId,
      approve: false,
      reason,
    });
  }
  if (key.backspace || key.delete)
    return done({
      ...state,
      rejectInput: { ...input, reason: Array.from(input.reason).slice(0, -1).join("") },
    });
  const add = typed(key);
  if (add === "") return done(state);
  return done({ ...state, rejectInput: { ...input, reason: (input.reason + add).slice(0, MAX_REASON) } });
}

export function decidedMessage(state: WatchState, jobId: string, approve: boolean, to: string): WatchState {
  return withMessage(
    state,
    `${approve ? "approved" : "rejected"} ${jobId.slice(0, 8)}: ${to}`,
    approve ? "green" : "yellow",
  );
}

export function decideFailedMessage(state: WatchState, approve: boolean, error: string): WatchState {
  return withMessage(state, `${approve ? "approve" : "reject"} failed: ${error}`, "red");
}
