import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "../../src/core/traceparent.js";
import { activeTraceparent, inSpan, tracingEnabled } from "../../src/core/tracing.js";
import { adoptTraceparent } from "../../src/daemon/gateway/submit-job.js";
import { SubmitJobRequest } from "../../src/gen/cortex/v1/api.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const GOOD = `00-${TRACE}-00f067aa0ba902b7-01`;

describe("W3C traceparent", () => {
  it("parses version 00 and formats it back", () => {
    const sc = parseTraceparent(GOOD);
    expect(sc).toEqual({ traceId: TRACE, spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true });
    expect(formatTraceparent(sc as NonNullable<typeof sc>)).toBe(GOOD);
  });

  it.each([
    "",
    "garbage",
    `ff-${TRACE}-00f067aa0ba902b7-01`,
    `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
    `00-${TRACE}-${"0".repeat(16)}-01`,
    `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`,
    `${GOOD}-extra`,
  ])("rejects %j", (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("a submit adopts the traceparent's trace, unless trace_id names another", () => {
    const req = SubmitJobRequest.fromPartial({ topic: "job.echo" });
    expect(adoptTraceparent(req, GOOD).traceId).toBe(TRACE);
    expect(adoptTraceparent(req, "bad").traceId).toBe("");
    const other = SubmitJobRequest.fromPartial({ topic: "job.echo", traceId: "a".repeat(32) });
    expect(adoptTraceparent(other, GOOD).traceId).toBe("a".repeat(32));
  });

  it("without the SDK the span helpers do nothing", async () => {
    expect(tracingEnabled()).toBe(false);
    expect(await inSpan("x", {}, async (span) => span)).toBeUndefined();
    expect(activeTraceparent()).toBe("");
  });
});
