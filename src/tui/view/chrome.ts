/** The footer (key hints, the filter being typed, the cancel prompt, messages) and the help. */
import { shortId } from "../format.js";
import { selectedJob } from "../model/selectors.js";
import type { WatchState } from "../model/state.js";
import { clipLine, type Line, seg } from "./line.js";

const hint = (key: string, what: string) => [seg(key, { bold: true }), seg(` ${what}  `, { dim: true })];

export function footerLine(state: WatchState, columns: number): Line {
  if (state.filterInput !== undefined) {
    return clipLine(
      [
        seg("filter (topic or state): /", { color: "cyan" }),
        seg(state.filterInput, { bold: true }),
        seg("_", { dim: true }),
        seg("  Enter apply · Esc cancel", { dim: true }),
      ],
      columns,
    );
  }
  if (state.confirm !== undefined) {
    const topic = state.confirm.topic ? ` (${state.confirm.topic})` : "";
    return clipLine(
      [
        seg(`Cancel job ${shortId(state.confirm.jobId)}${topic}? `, { color: "yellow", bold: true }),
        seg("y", { bold: true }),
        seg("/"),
        seg("n", { bold: true }),
      ],
      columns,
    );
  }
  if (state.rejectInput !== undefined) {
    return clipLine(
      [
        seg(`Reject job ${shortId(state.rejectInput.jobId)}, reason: `, { color: "magenta", bold: true }),
        seg(state.rejectInput.reason, { bold: true }),
        seg("_", { dim: true }),
        seg("  Enter reject · Esc cancel", { dim: true }),
        ...(state.message ? [seg(`  ${state.message.text}`, { color: state.message.tone })] : []),
      ],
      columns,
    );
  }
  if (state.message !== undefined)
    return clipLine([seg(state.message.text, { color: state.message.tone })], columns);
  if (state.help) return clipLine([seg("any key closes the help · q quits", { dim: true })], columns);
  const keys =
    state.detail !== undefined
      ? [...hint("Esc", "back"), ...hint("↑↓", "scroll"), ...hint("c", "cancel")]
      : [...hint("↑↓", "select"), ...hint("Enter", "open"), ...hint("/", "filter"), ...hint("c", "cancel")];
  const held =
    (state.detail !== undefined ? state.jobs.get(state.detail.jobId) : selectedJob(state))?.state ===
    "AWAITING_APPROVAL";
  if (held) keys.unshift(...hint("a", "approve"), ...hint("r", "reject"));
  const table =
    state.detail === undefined ? [...hint("s/S", "sort"), ...hint("␣", "fold"), ...hint("l", "log")] : [];
  return clipLine(
    [
      ...keys,
      ...hint("p", state.paused ? "resume" : "pause"),
      ...hint("?", "help"),
      ...hint("q", "quit"),
      ...table,
    ],
    columns,
  );
}

export const HELP: readonly (readonly [string, string])[] = [
  ["↑/↓ j/k", "select a job (scroll in a job's view)"],
  ["PgUp/PgDn", "move a page"],
  ["g / G", "top (follow new jobs) / bottom"],
  ["Enter", "open the selected job: context, timeline, result, live output"],
  ["Esc", "back to the list / clear the filter"],
  ["/", "filter by topic or state (type, then Enter; empty clears)"],
  ["c", "cancel the selected job (asks y/n)"],
  ["a", "approve the selected job held for approval (◆ APPROVAL)"],
  ["r", "reject the held job: type a reason, Enter sends, Esc cancels"],
  ["s / S", "sort by the next column / reverse the order (the header marks it ↓ or ↑)"],
  ["Space ← →", "fold / unfold a workflow's child jobs under it"],
  ["l", "events pane: the selected job's (and its children's) / all"],
  ["p", "pause / resume the feed (events are kept meanwhile)"],
  ["?", "this help"],
  ["q / Ctrl+C", "quit"],
];

export function helpLines(columns: number, height: number): Line[] {
  const lines: Line[] = [[seg("Keys", { bold: true })], []];
  for (const [key, what] of HELP)
    lines.push([seg(`  ${key.padEnd(12)}`, { bold: true, color: "cyan" }), seg(what)]);
  lines.push([]);
  lines.push([
    seg(
      "Header: stack health, jobs finished per second and failures over the last 10 s, backlog = PENDING + SCHEDULED + DISPATCHED, approvals = jobs held for a decision.",
      { dim: true },
    ),
  ]);
  return lines.slice(0, Math.max(0, height)).map((l) => clipLine(l, columns));
}
