/** The job table's pure parts: column widths, sorting, workflow folding, the keys and the job's log pane. */
import { describe, expect, it } from "vitest";
import { paneLog, visibleTable } from "../../../src/tui/model/selectors.js";
import { initialState, type JobRow, type KeyPress, type WatchState } from "../../../src/tui/model/state.js";
import { parentOf, sortJobRows, tableRows } from "../../../src/tui/model/table.js";
import { updateAll } from "../../../src/tui/model/update.js";
import { layoutColumns } from "../../../src/tui/view/column-layout.js";
import { jobColumns } from "../../../src/tui/view/job-table.js";
import { lineText } from "../../../src/tui/view/line.js";
import { screenLines, screenModel } from "../../../src/tui/view/screen.js";
import { event } from "./fake-gateway.js";

const T0 = 1_800_000_000_000;
const PARENT = "1b8a35ad-0000-4000-8000-000000000001";

function row(p: Partial<JobRow> & { jobId: string }): JobRow {
  return {
    topic: "job.echo",
    state: "SUCCEEDED",
    tenant: "",
    attempts: 1,
    workerId: "",
    reason: "",
    parentJobId: "",
    createdAtMs: T0,
    startedAtMs: 0,
    finishedAtMs: 0,
    updatedAtMs: T0,
    lastSeq: 0,
    ...p,
  };
}

const key = (input: string, extra: Partial<KeyPress> = {}) =>
  ({ type: "key", key: { input, ...extra } }) as const;

/** A workflow (parent + two children) and a plain job, as the stream shows them. */
function workflowState(): WatchState {
  const ev = (jobId: string, topic: string, at: number, to: string, workerId = "") =>
    event({ jobId, topic, atMs: T0 + at, to, workerId, seq: at + 1 });
  return updateAll(initialState(T0), [
    {
      type: "received",
      events: [
        ev(PARENT, "job.workflow.demo", 0, "PENDING"),
        ev(`${PARENT}-s-patch-1`, "job.code.llm", 10, "PENDING"),
        ev(`${PARENT}-s-patch-1`, "job.code.llm", 20, "SUCCEEDED", "code-llm-vm-1"),
        ev(`${PARENT}-s-explain-1`, "job.chat.simple", 30, "RUNNING", "chat-simple-vm-1"),
        ev("plain-0000", "job.echo", 40, "SUCCEEDED", "echo-vm-1"),
      ],
    },
    { type: "flush", now: T0 + 1000 },
  ]).state;
}

describe("column layout", () => {
  const spec = (key: string, min: number, ideal: number, drop: number) =>
    ({ key, title: key, min, ideal, drop, align: "left" }) as const;

  it("grows columns toward their content in turn, drops the least important when minimums do not fit", () => {
    const specs = [
      spec("id", 8, 8, 0),
      spec("topic", 5, 30, 0),
      spec("worker", 6, 30, 1),
      spec("reason", 6, 60, 2),
    ];
    const wide = layoutColumns(specs, 200);
    expect(wide.map((c) => c.width)).toEqual([8, 30, 30, 60]);
    const mid = layoutColumns(specs, 60);
    expect(mid.reduce((n, c) => n + c.width, 0) + 1 + 3).toBe(60);
    expect(mid[1]?.width).toBe(mid[2]?.width);
    const narrow = layoutColumns(specs, 24);
    expect(narrow.map((c) => c.key)).toEqual(["id", "topic", "worker"]);
    expect(layoutColumns(specs, 10).map((c) => c.key)).toEqual(["id", "topic"]);
  });

  it("the job table fills 80 and 160 columns without cutting names that fit", () => {
    const rows = tableRows(
      [
        row({ jobId: "a", topic: "job.chat.advanced", workerId: "chat-advanced-vm-12345-0123456789" }),
        row({ jobId: "b", topic: "job.echo", state: "FAILED", reason: "no live worker in pool echo" }),
      ],
      new Set(),
    );
    const at80 = jobColumns(rows, 80, { key: "age", reversed: false });
    const width = (cols: typeof at80, k: string) => cols.find((c) => c.key === k)?.width ?? 0;
    expect(at80.reduce((n, c) => n + c.width, 0) + at80.length).toBeLessThanOrEqual(80);
    expect(width(at80, "topic")).toBe("job.chat.advanced".length);
    expect(at80.some((c) => c.key === "reason")).toBe(false);
    const at160 = jobColumns(rows, 160, { key: "age", reversed: false });
    expect(width(at160, "worker")).toBe("chat-advanced-vm-12345-0123456789".length);
    expect(width(at160, "reason")).toBe("no live worker in pool echo".length);
    expect(at160.find((c) => c.key === "age")?.title).toBe("AGE↓");
  });
});

describe("sorting and folding", () => {
  it("sorts by a column, reversed on request, ties newest first", () => {
    const rows = [
      row({ jobId: "a", topic: "job.b", createdAtMs: T0 + 1 }),
      row({ jobId: "b", topic: "job.a", createdAtMs: T0 + 2 }),
      row({ jobId: "c", topic: "job.b", createdAtMs: T0 + 3 }),
    ];
    const ids = (key: "age" | "topic", reversed: boolean) =>
      sortJobRows(rows, { key, reversed }, T0).map((r) => r.jobId);
    expect(ids("age", false)).toEqual(["c", "b", "a"]);
    expect(ids("age", true)).toEqual(["a", "b", "c"]);
    expect(ids("topic", false)).toEqual(["b", "c", "a"]);
  });

  it("finds a child's parent from the listing or from the id the orchestrator builds", () => {
    expect(parentOf({ jobId: `${PARENT}-s-patch-1`, parentJobId: "" })).toBe(PARENT);
    expect(parentOf({ jobId: `${PARENT}-plan-1`, parentJobId: "" })).toBe(PARENT);
    expect(parentOf({ jobId: "x", parentJobId: "p" })).toBe("p");
    expect(parentOf({ jobId: PARENT, parentJobId: "" })).toBeUndefined();
  });

  it("children fold under the parent; Space unfolds them showing the part of the id that differs", () => {
    const s = workflowState();
    const folded = visibleTable(s);
    expect(folded.map((t) => t.row.jobId)).toEqual(["plain-0000", PARENT]);
    expect(folded[1]).toMatchObject({ children: 2, expanded: false });

    const open = updateAll(s, [key("j"), key(" ")]).state;
    const rows = visibleTable(open);
    expect(rows.map((t) => [t.depth, t.label])).toEqual([
      [0, "plain-00"],
      [0, "1b8a35ad"],
      [1, "s-explain-1"],
      [1, "s-patch-1"],
    ]);
    const text = screenLines(screenModel(open, 100, 30)).map(lineText);
    expect(text.some((l) => /^>1b8a35ad ▾ +job\.workflow\.demo/.test(l))).toBe(true);
    expect(text.some((l) => /^ └s-patch-1 +job\.code\.llm +SUCCEEDED/.test(l))).toBe(true);

    // ← on a child folds its parent and selects it.
    const closed = updateAll(open, [key("j"), key("", { leftArrow: true })]).state;
    expect(visibleTable(closed)).toHaveLength(2);
    expect(closed.selectedId).toBe(PARENT);
    // A filter lists matches flat.
    const filtered = updateAll(s, [key("/"), key("code"), key("", { return: true })]).state;
    expect(visibleTable(filtered).map((t) => t.row.jobId)).toEqual([`${PARENT}-s-patch-1`]);
  });

  it("s cycles the sort column, S reverses it; the header shows it", () => {
    const s = updateAll(workflowState(), [key("s"), key("s")]).state;
    expect(s.sort).toEqual({ key: "topic", reversed: false });
    const text = screenLines(screenModel(updateAll(s, [key("S")]).state, 100, 30)).map(lineText);
    expect(text[1]).toContain("sort topic↑");
    expect(text.find((l) => l.startsWith(" ID"))).toMatch(/TOPIC↑/);
  });

  it("keys typed together (one input) each count", () => {
    const s = updateAll(workflowState(), [key("jl")]).state;
    expect(s.logPane).toBe("job");
    expect(s.selectedId).toBe(PARENT);
    expect(updateAll(workflowState(), [key("/code")]).state.filterInput).toBe("code");
  });

  it("l shows the selected job's events, its children's included", () => {
    const s = updateAll(workflowState(), [key("j"), key("l")]).state;
    expect(s.logPane).toBe("job");
    expect(paneLog(s).map((e) => e.jobId)).toEqual([
      PARENT,
      `${PARENT}-s-patch-1`,
      `${PARENT}-s-patch-1`,
      `${PARENT}-s-explain-1`,
    ]);
    const text = screenLines(screenModel(s, 100, 30)).map(lineText);
    expect(text.some((l) => l.startsWith("─ EVENTS of 1b8a35ad"))).toBe(true);
    expect(text.some((l) => l.includes("plain-00 job.echo"))).toBe(false);
    // A child's log lines name it apart from its parent.
    expect(text.some((l) => l.includes("1b8a35ad/s-patch-1 job.code.llm PENDING"))).toBe(true);
  });
});
