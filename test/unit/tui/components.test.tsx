/** The Ink components under ink-testing-library: frames at 80 columns and key presses. */
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
const KEY = { up: "\u001B[A", down: "\u001B[B", enter: "\r", escape: "\u001B" };

const plain = (frame: string | undefined) => stripVTControlCharacters(frame ?? "").split("\n");

function expectFits(lines: string[], columns = 80, rows = 24) {
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(Array.from(l).length, `"${l}"`).toBeLessThanOrEqual(columns);
}

function liveState(): WatchState {
  const jobs = [
    ["aaaaaaaa-1", "job.echo", "SUCCEEDED"],
    ["bbbbbbbb-2", "job.chat.simple", "RUNNING"],
    ["cccccccc-3", "job.code.llm", "FAILED"],
  ] as const;
  return updateAll(initialState(T0), [
    { type: "connection", connection: { status: "live", sinceMs: T0 }, now: T0 },
    {
      type: "workers",
      workers: {
        workers: [],
        pools: [
          { pool: "echo", liveWorkers: 1, activeJobs: 1, capacity: 4, topics: [] },
          { pool: "chat-simple", liveWorkers: 0, activeJobs: 0, capacity: 0, topics: [] },
        ],
      },
    },
    {
      type: "received",
      events: jobs.flatMap(([jobId, topic, to], i) => [
        event({ jobId, topic, to: "PENDING", atMs: T0 + i * 1000 }),
        event({
          jobId,
          topic,
          from: "PENDING",
          to,
          atMs: T0 + i * 1000 + 40,
          workerId: "w-1",
          reason: to === "FAILED" ? "boom" : "",
        }),
      ]),
    },
    { type: "flush", now: T0 + 5000 },
  ]).state;
}

describe("WatchScreen frames", () => {
  it("header, pools, job list and events at 80 columns", () => {
    const { lastFrame, unmount } = render(<WatchScreen state={liveState()} columns={80} rows={24} />);
    const lines = plain(lastFrame());
    expectFits(lines);
    expect(lines[0]).toMatch(/^cortex watch ● live/);
    expect(lines[1]).toMatch(/jobs\/s 0\.2 {2}backlog - {2}failures\/10s 1/);
    expect(lines[2]).toMatch(/^─ POOLS /);
    expect(lines[3]).toMatch(/chat-simple +0w +0\/0 +hb - +echo +1w +1\/4/);
    const header = lines.findIndex((l) => l.startsWith(" ID "));
    expect(lines[header + 1]).toMatch(/^>cccccccc job\.code\.llm +FAILED +0 +3s +40ms w-1/);
    expect(lines[header + 2]).toMatch(/^ bbbbbbbb job\.chat\.simple +RUNNING/);
    expect(lines[header + 3]).toMatch(/^ aaaaaaaa job\.echo +SUCCEEDED/);
    expect(lines.find((l) => l.startsWith("─ EVENTS"))).toMatch(/6 seen$/);
    expect(lines.some((l) => /cccccccc job\.code\.llm PENDING→FAILED by w-1 \(boom\)/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/↑↓ select/);
    unmount();
  });

  it("a job's detail view", () => {
    const s = updateAll(liveState(), [
      { type: "key", key: { input: "", return: true } },
      {
        type: "detailLoaded",
        jobId: "cccccccc-3",
        response: {
          job: jobInfo({
            jobId: "cccccccc-3",
            topic: "job.code.llm",
            state: "FAILED",
            reason: "boom",
            attempts: 2,
            createdAtMs: T0 + 2000,
            updatedAtMs: T0 + 2040,
            finishedAtMs: T0 + 2040,
          }),
          resultJson: '{"error":"boom"}',
          contextJson: '{"prompt":"fix it"}',
          events: [
            event({ jobId: "cccccccc-3", to: "PENDING", atMs: T0 + 2000 }),
            event({ jobId: "cccccccc-3", from: "PENDING", to: "FAILED", atMs: T0 + 2040, reason: "boom" }),
          ],
        },
      },
    ]).state;
    const { lastFrame, unmount } = render(<WatchScreen state={s} columns={80} rows={24} />);
    const lines = plain(lastFrame());
    expectFits(lines);
    expect(lines[0]).toMatch(/^ JOB cccccccc-3 {2}FAILED/);
    expect(lines[1]).toMatch(/topic job\.code\.llm {2}tenant default {2}attempts 2/);
    expect(lines[2]).toMatch(/created \d\d:\d\d:\d\d \(3s ago\) {2}duration 40ms {2}trace trace-1/);
    expect(lines[3]).toBe("reason boom");
    expect(lines.join("\n")).toMatch(
      /CONTEXT\n {2}\{"prompt":"fix it"\}\nTIMELINE\n +\+0ms {2}PENDING\n +\+40ms {2}FAILED \(boom\)\nRESULT\n {2}\{\n {4}"error": "boom"\n {2}\}/,
    );
    expect(lines.at(-1)).toMatch(/^Esc back/);
    unmount();
  });

  it("live output of a running job", () => {
    const s = updateAll(liveState(), [
      { type: "key", key: { input: "", downArrow: true } },
      { type: "key", key: { input: "", return: true } },
      { type: "detailStreaming", jobId: "bbbbbbbb-2", streaming: true },
      {
        type: "receivedDetail",
        jobId: "bbbbbbbb-2",
        events: [event({ jobId: "bbbbbbbb-2", kind: "token", seq: 0, text: "The answer is 42" })],
      },
      { type: "flush", now: T0 + 6000 },
    ]).state;
    const lines = plain(render(<WatchScreen state={s} columns={80} rows={24} />).lastFrame());
    expectFits(lines);
    expect(lines.join("\n")).toMatch(/OUTPUT {2}live\n {2}The answer is 42/);
  });

  it("the help overlay and the confirmation prompt", () => {
    const help = updateAll(liveState(), [{ type: "key", key: { input: "?" } }]).state;
    const h = plain(render(<WatchScreen state={help} columns={80} rows={24} />).lastFrame());
    expectFits(h);
    expect(h.join("\n")).toMatch(/Keys[\s\S]*Enter +open the selected job[\s\S]*q \/ Ctrl\+C +quit/);

    const confirm = updateAll(liveState(), [
      { type: "key", key: { input: "", downArrow: true } },
      { type: "key", key: { input: "c" } },
    ]).state;
    const c = plain(render(<WatchScreen state={confirm} columns={80} rows={24} />).lastFrame());
    expect(c.at(-1)).toBe("Cancel job bbbbbbbb (job.chat.simple)? y/n");
  });

  it("reconnecting is shown in the header", () => {
    const s = updateAll(liveState(), [
      {
        type: "connection",
        connection: {
          status: "reconnecting",
          attempt: 2,
          retryAtMs: T0 + 6000,
          error: "cannot reach the gateway",
        },
        now: T0 + 5000,
      },
    ]).state;
    const lines = plain(render(<WatchScreen state={s} columns={80} rows={24} />).lastFrame());
    expect(lines[0]).toMatch(/^cortex watch reconnecting… attempt 2, retry in 1s/);
  });
});

describe("WatchApp with keys", () => {
  let controller: WatchController | undefined;
  afterEach(() => controller?.stop());

  async function until(
    frame: () => string | undefined,
    pattern: RegExp,
    timeoutMs = 3000,
  ): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = plain(frame());
      if (pattern.test(lines.join("\n"))) return lines;
      if (Date.now() > deadline) throw new Error(`no frame matched ${pattern}:\n${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  function app(gateway: FakeGateway) {
    controller = new WatchController({
      connect: () => gateway,
      flushMs: 20,
      pollMs: 50,
      backoff: { baseMs: 10, maxMs: 20 },
    });
    controller.start();
    return render(<WatchApp controller={controller} columns={80} rows={24} />);
  }

  it("select, open, back, help, filter, cancel and quit", async () => {
    const now = Date.now();
    const gateway = new FakeGateway({
      jobs: [
        jobInfo({
          jobId: "11111111-old",
          state: "SUCCEEDED",
          createdAtMs: now - 5000,
          updatedAtMs: now - 4000,
        }),
        jobInfo({
          jobId: "22222222-new",
          state: "RUNNING",
          topic: "job.chat.simple",
          createdAtMs: now - 1000,
        }),
      ],
      details: {
        "11111111-old": {
          job: jobInfo({
            jobId: "11111111-old",
            state: "SUCCEEDED",
            createdAtMs: now - 5000,
            updatedAtMs: now - 4000,
          }),
          resultJson: '{"echo":"hello"}',
          contextJson: "{}",
          events: [],
        },
      },
    });
    const { lastFrame, stdin, unmount } = app(gateway);
    let lines = await until(lastFrame, />22222222 job\.chat\.simple/);
    expectFits(lines);

    stdin.write(KEY.down);
    await until(lastFrame, />11111111 job\.echo/);
    stdin.write(KEY.enter);
    lines = await until(lastFrame, /RESULT\n {2}\{\n {4}"echo": "hello"/);
    expect(lines[0]).toMatch(/^ JOB 11111111-old {2}SUCCEEDED/);
    expect(gateway.getJobs[0]).toEqual({
      jobId: "11111111-old",
      opts: { includeResult: true, includeContext: true, includeEvents: true },
    });
    const detailStream = await gateway.stream(1);
    expect(detailStream.request).toMatchObject({ jobId: "11111111-old", untilTerminal: true });

    stdin.write(KEY.escape);
    await until(lastFrame, /↑↓ select/);
    expect(detailStream.cancelled).toBe(true);

    stdin.write("?");
    await until(lastFrame, /any key closes the help/);
    stdin.write("x");
    await until(lastFrame, /↑↓ select/);

    stdin.write("/");
    for (const c of "chat") stdin.write(c);
    await until(lastFrame, /filter \(topic or state\): \/chat/);
    stdin.write(KEY.enter);
    lines = await until(lastFrame, /filter: chat/);
    expect(lines.some((l) => l.includes("11111111"))).toBe(false);

    stdin.write("c");
    await until(lastFrame, /Cancel job 22222222 \(job\.chat\.simple\)\? y\/n/);
    stdin.write("y");
    await until(lastFrame, /cancelled 22222222/);
    expect(gateway.cancels).toEqual([{ jobId: "22222222-new", reason: "cancelled from cortex watch" }]);

    stdin.write("q");
    await controller?.quitted;
    expect(controller?.getState().quit).toBe(true);
    expect(gateway.closed).toBe(true);
    unmount();
  });

  it("p pauses the feed", async () => {
    const gateway = new FakeGateway();
    const { lastFrame, stdin, unmount } = app(gateway);
    const stream = await gateway.stream(0);
    await until(lastFrame, /● live/);
    stdin.write("p");
    await until(lastFrame, /‖ PAUSED/);
    stream.push(event({ jobId: "33333333-x", to: "PENDING" }));
    await until(lastFrame, /PAUSED \(1 held\)/);
    expect(plain(lastFrame()).some((l) => l.includes("33333333"))).toBe(false);
    stdin.write("p");
    await until(lastFrame, />33333333 job\.echo +PENDING/);
    unmount();
  });
});
