/** The controller against an in-memory gateway: reconnects, backfill, batching, detail streams. */
import { afterEach, describe, expect, it } from "vitest";
import { WatchController } from "../../../src/tui/controller.js";
import type { WatchState } from "../../../src/tui/model/state.js";
import { event, FakeGateway, jobInfo, unreachable } from "./fake-gateway.js";

let controller: WatchController | undefined;
afterEach(() => controller?.stop());

function start(gateways: FakeGateway[] | FakeGateway, flushMs = 20): WatchController {
  const list = Array.isArray(gateways) ? gateways : [gateways];
  let i = 0;
  controller = new WatchController({
    // Each (re)connect takes the next gateway client; the last one is reused.
    connect: () => list[Math.min(i++, list.length - 1)] as FakeGateway,
    flushMs,
    pollMs: 30,
    backfill: 123,
    backoff: { baseMs: 20, maxMs: 40 },
  });
  controller.start();
  return controller;
}

function until(c: WatchController, check: (s: WatchState) => boolean, timeoutMs = 3000): Promise<WatchState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`state never matched: ${JSON.stringify(c.getState().connection)}`));
    }, timeoutMs);
    const test = () => {
      if (!check(c.getState())) return;
      clearTimeout(timer);
      off();
      resolve(c.getState());
    };
    const off = c.subscribe(test);
    test();
  });
}

describe("WatchController", () => {
  it("streams with a backfill, seeds the list and polls health, pools and backlog", async () => {
    const gw = new FakeGateway({ jobs: [jobInfo({ jobId: "seeded", state: "PENDING" })] });
    const c = start(gw);
    const s = await until(c, (s) => s.health !== undefined && s.pools.length > 0 && s.backlog !== undefined);
    expect(gw.streams[0]?.request).toEqual({ backfill: 123 });
    expect(s.connection.status).toBe("live");
    expect(s.jobs.get("seeded")?.state).toBe("PENDING");
    expect(s.backlog).toEqual({
      pending: 1,
      scheduled: 0,
      dispatched: 0,
      capped: false,
      awaitingApproval: 0,
    });
    expect(gw.listCalls.map((q) => q.state ?? "")).toEqual(
      expect.arrayContaining(["PENDING", "SCHEDULED", "DISPATCHED", "AWAITING_APPROVAL"]),
    );
  });

  it("reconnects with backoff on a fresh client and resumes with a backfill", async () => {
    const down = new FakeGateway();
    down.onWatch = (s) => s.fail(unreachable());
    const up = new FakeGateway();
    const c = start([down, down, up]);
    const reconnecting = await until(c, (s) => s.connection.status === "reconnecting");
    expect(reconnecting.connection).toMatchObject({
      attempt: 1,
      error: expect.stringMatching(/cannot reach/),
    });
    await until(c, (s) => s.connection.status === "live");
    expect(down.streams).toHaveLength(2);
    expect(up.streams[0]?.request).toEqual({ backfill: 123 });
    expect(down.closed).toBe(true);

    // The daemon goes away mid-stream, then comes back: same rows, no duplicates.
    const stream = up.streams[0];
    stream?.push(event({ seq: 1, jobId: "j", to: "PENDING" }));
    await until(c, (s) => s.jobs.has("j"));
    stream?.fail(unreachable());
    await until(c, (s) => s.connection.status === "reconnecting");
    const again = await up.stream(1);
    // Log lines are kept in time order: events stamped before the reconnect would (rightly)
    // slot in before its line, so these are made once the stream is live again.
    await until(c, (s) => s.connection.status === "live");
    again.push(
      event({ seq: 1, jobId: "j", to: "PENDING" }),
      event({ seq: 2, jobId: "j", from: "PENDING", to: "SCHEDULED" }),
    );
    const s = await until(c, (s) => s.jobs.get("j")?.state === "SCHEDULED");
    expect(s.totalEvents).toBe(2);
    expect(s.log.map((l) => l.text)).toEqual([
      "✗ cannot connect: cannot reach the cortex gateway at fake:1",
      "● connected",
      "j job.echo PENDING",
      "✗ connection lost: cannot reach the cortex gateway at fake:1",
      "● reconnected, resuming the stream",
      "j job.echo PENDING→SCHEDULED",
    ]);
  });

  it("a stream the gateway ends is reconnected too", async () => {
    const gw = new FakeGateway();
    const c = start(gw);
    (await gw.stream(0)).end();
    await gw.stream(1);
    await until(c, (s) => s.connection.status === "live");
  });

  it("renders a burst of events in a few batches, not one per event", async () => {
    const gw = new FakeGateway();
    const c = start(gw, 100);
    const stream = await gw.stream(0);
    await until(c, (s) => s.connection.status === "live" && s.health !== undefined);
    let renders = 0;
    c.subscribe(() => {
      renders += 1;
    });
    for (let i = 0; i < 500; i++) stream.push(event({ jobId: `j${i}`, to: "PENDING" }));
    await until(c, (s) => s.totalEvents === 500);
    // Polls (health/workers/backlog every 30 ms) also render; 500 events alone would be 500.
    expect(renders).toBeLessThan(60);
  });

  it("a dropped marker triggers a fresh listing", async () => {
    const gw = new FakeGateway({ jobs: [jobInfo({ jobId: "x" })] });
    const c = start(gw);
    const stream = await gw.stream(0);
    await until(c, (s) => s.jobs.has("x"));
    const before = gw.listCalls.filter((q) => !q.state).length;
    stream.push(event({ kind: "dropped", seq: 0, jobId: "", dropped: 9 }));
    await until(c, (s) => s.droppedEvents === 9);
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.listCalls.filter((q) => !q.state).length).toBeGreaterThan(before);
  });

  it("the detail view follows the job's own stream to the end, then loads the result", async () => {
    const gw = new FakeGateway({
      jobs: [jobInfo({ jobId: "llm", topic: "job.chat.simple", state: "RUNNING" })],
    });
    const c = start(gw);
    await until(c, (s) => s.jobs.has("llm"));
    c.dispatch({ type: "key", key: { input: "", return: true } });
    const detail = await gw.stream(1);
    expect(detail.request).toEqual({ jobId: "llm", backfill: 1000, untilTerminal: true });
    await until(c, (s) => s.detail?.streaming === true && s.detail.loading === false);
    detail.push(
      event({ jobId: "llm", kind: "token", seq: 0, text: "Hello" }),
      event({ jobId: "llm", kind: "token", seq: 0, text: ", world" }),
    );
    await until(c, (s) => s.detail?.output === "Hello, world");
    gw.details.llm = {
      job: jobInfo({ jobId: "llm", state: "SUCCEEDED", updatedAtMs: Date.now() + 10 }),
      resultJson: '{"text":"Hello, world"}',
      contextJson: "",
      events: [],
    };
    detail.push(event({ jobId: "llm", from: "RUNNING", to: "SUCCEEDED" }));
    detail.end();
    const s = await until(c, (s) => s.detail?.resultJson !== "" && s.detail?.streaming === false);
    expect(s.detail?.timeline.map((e) => e.to)).toEqual(["SUCCEEDED"]);
    expect(gw.getJobs.length).toBeGreaterThanOrEqual(2);
  });

  it("closing the detail cancels its stream; quitting stops everything", async () => {
    const gw = new FakeGateway({ jobs: [jobInfo({ jobId: "a", state: "RUNNING" })] });
    const c = start(gw);
    await until(c, (s) => s.jobs.has("a"));
    c.dispatch({ type: "key", key: { input: "", return: true } });
    const detail = await gw.stream(1);
    c.dispatch({ type: "key", key: { input: "", escape: true } });
    expect(detail.cancelled).toBe(true);
    c.dispatch({ type: "key", key: { input: "q" } });
    await c.quitted;
    expect(gw.streams[0]?.cancelled).toBe(true);
    expect(gw.closed).toBe(true);
  });
});
