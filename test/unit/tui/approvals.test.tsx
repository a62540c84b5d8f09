/** `cortex watch` and held jobs: the marker, the header's count, and deciding with a / r. */
import { stripVTControlCharacters } from "node:util";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { WatchApp } from "../../../src/tui/components/WatchApp.js";
import { WatchScreen } from "../../../src/tui/components/WatchScreen.js";
import { WatchController } from "../../../src/tui/controller.js";
import { initialState, type WatchState } from "../../../src/tui/model/state.js";
import { updateAll } from "../../../src/tui/model/update.js";
import { event, FakeGateway, jobInfo } from "./fake-gateway.js";

const T0 = 1_800_000_000_000;
const KEY = { down: "\u001B[B", enter: "\r", escape: "\u001B", backspace: "\u007F" };
const plain = (frame: string | undefined) => stripVTControlCharacters(frame ?? "").split("\n");

function heldState(): WatchState {
  return updateAll(initialState(T0), [
    { type: "connection", connection: { status: "live", sinceMs: T0 }, now: T0 },
    {
      type: "received",
      events: [
        event({ jobId: "aaaaaaaa-1", topic: "job.echo", to: "PENDING", atMs: T0 }),
        event({ jobId: "aaaaaaaa-1", topic: "job.echo", from: "PENDING", to: "SUCCEEDED", atMs: T0 + 10 }),
        event({ jobId: "bbbbbbbb-2", topic: "job.deploy", to: "PENDING", atMs: T0 + 1000 }),
        event({
          jobId: "bbbbbbbb-2",
          topic: "job.deploy",
          from: "PENDING",
          to: "AWAITING_APPROVAL",
          atMs: T0 + 1010,
        }),
      ],
    },
    {
      type: "backlog",
      backlog: { pending: 0, scheduled: 0, dispatched: 0, capped: false, awaitingApproval: 1 },
    },
    { type: "flush", now: T0 + 5000 },
  ]).state;
}

describe("held jobs on the watch screen", () => {
  it("are marked, counted in the header, and a / r are offered for them", () => {
    const lines = plain(render(<WatchScreen state={heldState()} columns={80} rows={24} />).lastFrame());
    expect(lines[1]).toMatch(/approvals ◆ 1/);
    const header = lines.findIndex((l) => l.startsWith(" ID "));
    expect(lines[header + 1]).toMatch(/^>bbbbbbbb job\.deploy +◆ APPROVAL/);
    expect(lines[header + 2]).toMatch(/^ aaaaaaaa job\.echo +SUCCEEDED/);
    expect(lines.at(-1)).toMatch(/^a approve {2}r reject/);

    const other = updateAll(heldState(), [{ type: "key", key: { input: "", downArrow: true } }]).state;
    expect(
      plain(render(<WatchScreen state={other} columns={80} rows={24} />).lastFrame()).at(-1),
    ).not.toMatch(/approve/);
  });

  it("the open held job shows its rule, approvers and expiry, and a works there too", () => {
    const job = jobInfo({
      jobId: "bbbbbbbb-2",
      topic: "job.deploy",
      state: "AWAITING_APPROVAL",
      createdAtMs: T0 + 1000,
      approval: {
        ruleId: "hold-deploys",
        ruleReason: "",
        approvers: ["ops-lead"],
        requestedAtMs: T0 + 1000,
        expiresAtMs: T0 + 1000 + 3_600_000,
        contentHash: "",
        decision: "",
        decidedBy: "",
        decidedAtMs: 0,
        decisionReason: "",
      },
    });
    const t = updateAll(heldState(), [
      { type: "key", key: { input: "", return: true } },
      {
        type: "detailLoaded",
        jobId: "bbbbbbbb-2",
        response: { job, resultJson: "", contextJson: "{}", events: [] },
      },
      { type: "key", key: { input: "a" } },
    ]);
    const lines = plain(render(<WatchScreen state={t.state} columns={100} rows={24} />).lastFrame());
    expect(lines.join("\n")).toMatch(
      /◆ awaiting approval rule hold-deploys {2}approvers ops-lead {2}expires in 59m56s/,
    );
    expect(t.effects).toContainEqual({ type: "decide", jobId: "bbbbbbbb-2", approve: true, reason: "" });
  });

  it("the help lists a and r", () => {
    const help = updateAll(heldState(), [{ type: "key", key: { input: "?" } }]).state;
    const text = plain(render(<WatchScreen state={help} columns={80} rows={24} />).lastFrame()).join("\n");
    expect(text).toMatch(/ a +approve the selected job held for approval/);
    expect(text).toMatch(/ r +reject the held job: type a reason, Enter sends, Esc cancels/);
  });

  it("a on a job that is not held says so and decides nothing", () => {
    const t = updateAll(heldState(), [
      { type: "key", key: { input: "", downArrow: true } },
      { type: "key", key: { input: "a" } },
    ]);
    expect(t.effects).toEqual([]);
    expect(t.state.message?.text).toBe("aaaaaaaa is SUCCEEDED, not waiting for approval");
  });

  it("r then Enter without a reason keeps asking; Esc cancels; typed text is the reason", () => {
    const empty = updateAll(heldState(), [
      { type: "key", key: { input: "r" } },
      { type: "key", key: { input: "", return: true } },
    ]);
    expect(empty.effects).toEqual([]);
    expect(empty.state.rejectInput).toBeDefined();
    expect(empty.state.message?.text).toMatch(/needs a reason/);

    const esc = updateAll(heldState(), [
      { type: "key", key: { input: "r" } },
      { type: "key", key: { input: "no" } },
      { type: "key", key: { input: "", escape: true } },
    ]);
    expect(esc.effects).toEqual([]);
    expect(esc.state.rejectInput).toBeUndefined();

    // "rq" typed in one frame: the q is the reason's first letter, not quit.
    const sent = updateAll(heldState(), [
      { type: "key", key: { input: "rq" } },
      { type: "key", key: { input: "x" } },
      { type: "key", key: { input: "", backspace: true } },
      { type: "key", key: { input: "a freeze" } },
      { type: "key", key: { input: "", return: true } },
    ]);
    expect(sent.state.quit).toBe(false);
    expect(sent.effects).toEqual([
      { type: "decide", jobId: "bbbbbbbb-2", approve: false, reason: "qa freeze" },
    ]);

    // The reason and Enter read as one chunk still send it.
    const chunk = updateAll(heldState(), [
      { type: "key", key: { input: "r" } },
      { type: "key", key: { input: "not now\r" } },
    ]);
    expect(chunk.effects).toEqual([
      { type: "decide", jobId: "bbbbbbbb-2", approve: false, reason: "not now" },
    ]);
  });
});

describe("WatchApp deciding held jobs", () => {
  let controller: WatchController | undefined;
  afterEach(() => controller?.stop());

  async function until(frame: () => string | undefined, pattern: RegExp, timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = plain(frame());
      if (pattern.test(lines.join("\n"))) return lines;
      if (Date.now() > deadline) throw new Error(`no frame matched ${pattern}:\n${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it("a approves, r asks for a reason and rejects; the new states show as they arrive", async () => {
    const now = Date.now();
    const held = (jobId: string, topic: string, age: number) =>
      jobInfo({ jobId, topic, state: "AWAITING_APPROVAL", createdAtMs: now - age, updatedAtMs: now - age });
    const gateway = new FakeGateway({
      jobs: [held("11111111-a", "job.deploy", 2000), held("22222222-b", "job.pay", 1000)],
    });
    controller = new WatchController({
      connect: () => gateway,
      flushMs: 20,
      pollMs: 50,
      backoff: { baseMs: 10, maxMs: 20 },
    });
    controller.start();
    const { lastFrame, stdin, unmount } = render(<WatchApp controller={controller} columns={80} rows={24} />);
    const stream = await gateway.stream(0);
    await until(lastFrame, /approvals ◆ 2[\s\S]*>22222222 job\.pay +◆ APPROVAL/);

    stdin.write("a");
    await until(lastFrame, /approved 22222222: SCHEDULED/);
    expect(gateway.decisions).toEqual([{ jobId: "22222222-b", approve: true, reason: "" }]);
    stream.push(
      event({ jobId: "22222222-b", topic: "job.pay", from: "AWAITING_APPROVAL", to: "SCHEDULED" }),
      event({ jobId: "22222222-b", topic: "job.pay", from: "SCHEDULED", to: "RUNNING", workerId: "w-1" }),
    );
    await until(lastFrame, />22222222 job\.pay +RUNNING/);

    stdin.write(KEY.down);
    await until(lastFrame, />11111111 job\.deploy +◆ APPROVAL/);
    stdin.write("r");
    await until(lastFrame, /Reject job 11111111, reason: _/);
    for (const c of "too late") stdin.write(c);
    await until(lastFrame, /Reject job 11111111, reason: too late_/);
    stdin.write(KEY.enter);
    await until(lastFrame, /rejected 11111111: DENIED/);
    expect(gateway.decisions[1]).toEqual({ jobId: "11111111-a", approve: false, reason: "too late" });
    stream.push(
      event({
        jobId: "11111111-a",
        topic: "job.deploy",
        from: "AWAITING_APPROVAL",
        to: "DENIED",
        reason: "too late",
      }),
    );
    await until(lastFrame, />11111111 job\.deploy +DENIED/);
    unmount();
  });
});
