/** The gateway logs worker joins with untrusted ids clipped. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { newPacket } from "../../../src/bus/codec.js";
import { WorkerRegistry } from "../../../src/core/worker-registry.js";
import type { EventHub } from "../../../src/daemon/gateway/event-watch.js";
import { WorkerPresence } from "../../../src/daemon/gateway/worker-presence.js";
import type { JobStore } from "../../../src/store/job-store.js";

describe("WorkerPresence logging", () => {
  it("clips a 10 KB worker id and pool in the join line", () => {
    const lines: string[] = [];
    const presence = new WorkerPresence({
      registry: new WorkerRegistry(),
      store: { appendEvent: async (e: object) => ({ ...e, seq: 1 }) } as unknown as JobStore,
      hub: { publish: () => undefined } as unknown as EventHub,
      logger: pino({ level: "info" }, { write: (l: string) => void lines.push(l) }),
      pruneIntervalMs: 60_000,
      silenceMs: 15_000,
    });
    const workerId = "w".repeat(10 * 1024);
    const pool = "p".repeat(5 * 1024);
    presence.observe(
      newPacket(
        {
          $case: "heartbeat",
          heartbeat: {
            workerId,
            region: "",
            type: "",
            cpuLoad: 0,
            gpuUtilization: 0,
            activeJobs: 0,
            capabilities: [],
            pool,
            maxParallelJobs: 1,
          },
        },
        { traceId: "", senderId: "x" },
      ),
      `sys.heartbeat.${pool}`,
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line.length).toBeLessThan(800);
    expect(JSON.parse(line)).toMatchObject({
      msg: "worker joined",
      workerId: expect.stringMatching(/^w{200}…\(10240 chars\)$/),
      pool: expect.stringMatching(/^p{200}…/),
    });
  });
});
