import { describe, expect, it } from "vitest";
import { EventWatcher } from "../../../src/daemon/gateway/event-watch.js";
import {
  BudgetedWriter,
  ByteBudget,
  eventBytes,
  type RawStream,
} from "../../../src/daemon/gateway/stream-budget.js";
import { JobEvent } from "../../../src/gen/cortex/v1/api.js";
import type { JobEventRecord } from "../../../src/store/job-store.js";

/** A transport whose client never reads: writes are accepted, their callbacks held. */
function stalledStream(): RawStream & { sent: (() => void)[]; flush(): void } {
  const sent: (() => void)[] = [];
  return {
    sent,
    write: (_ev, cb) => {
      sent.push(cb);
      return true;
    },
    once: () => undefined,
    flush: () => {
      for (const cb of sent.splice(0)) cb();
    },
  };
}

const big = (n: number) => JobEvent.fromPartial({ kind: "progress", jobId: "j", text: "x".repeat(n) });

describe("BudgetedWriter", () => {
  it("says wait past the soft budget and drains once the bytes are sent", () => {
    const raw = stalledStream();
    const writer = new BudgetedWriter(raw, new ByteBudget(1_000_000, () => undefined), 10_000);
    expect(writer.write(big(4_000))).toBe(true);
    expect(writer.write(big(4_000))).toBe(true);
    expect(writer.write(big(4_000))).toBe(false);
    let drained = 0;
    writer.onDrain(() => drained++);
    raw.flush();
    expect(drained).toBe(1);
    expect(writer.write(big(100))).toBe(true);
  });

  it("cuts the stream off once, past the hard limit, and writes nothing more", () => {
    const raw = stalledStream();
    const held: number[] = [];
    const budget = new ByteBudget(50_000, (n) => held.push(n));
    const writer = new BudgetedWriter(raw, budget, 10_000);
    for (let i = 0; i < 20; i++) writer.write(big(4_000));
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThan(50_000);
    expect(raw.sent.length).toBeLessThan(20);
  });
});

describe("EventWatcher byte bound", () => {
  it("drops events past its byte budget into one counted marker, whatever their count", () => {
    const written: JobEvent[] = [];
    let blocked = true;
    let resume: (() => void) | undefined;
    const budget = new ByteBudget(Number.MAX_SAFE_INTEGER, () => undefined);
    const w = new EventWatcher(
      { topics: [], states: [], jobId: "", traceId: "", tenant: "" },
      {
        write: (ev) => {
          written.push(ev);
          return !blocked;
        },
        onDrain: (l) => {
          resume = l;
        },
      },
      1_000,
      () => 0,
      undefined,
      false,
      { maxQueuedBytes: 100_000, budget },
    );
    w.goLive([]);
    const rec = (seq: number): JobEventRecord => ({
      seq,
      at: 0,
      kind: "progress",
      jobId: "j",
      text: "y".repeat(10_000),
    });
    for (let i = 1; i <= 100; i++) w.offer(rec(i));
    // One written before the pause, ~10 queued (100 KB), the rest counted.
    expect(w.queued()).toBeLessThanOrEqual(12);
    expect(budget.bytes()).toBeLessThanOrEqual(100_000 + eventBytes(written[0] ?? big(0)));
    blocked = false;
    resume?.();
    const marker = written.find((e) => e.kind === "dropped");
    expect(marker?.dropped).toBeGreaterThan(80);
    expect(written.filter((e) => e.kind === "progress").length + (marker?.dropped ?? 0)).toBe(100);
    expect(budget.bytes()).toBe(0);
  });
});
