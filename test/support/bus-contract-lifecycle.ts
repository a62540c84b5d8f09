/** Bus contract, lifecycle: close() stops consumers and later calls fail with BUS_UNAVAILABLE. */
import { expect, it } from "vitest";
import type { BusStatus } from "../../src/bus/bus.js";
import { isCortexError } from "../../src/core/errors.js";
import { type ContractEnv, deferred, jobPacket, workQueue } from "./bus-contract-helpers.js";

export function lifecycleContract(env: ContractEnv): void {
  it("close() waits for handlers in flight, reports closed, and later calls fail with BUS_UNAVAILABLE", async () => {
    const ctx = await env.fresh();
    const { bus } = ctx;
    try {
      await bus.provision();
      const heard: BusStatus[] = [];
      bus.onStatus((s) => heard.push(s));
      const opts = workQueue();
      const started = deferred();
      let finished = false;
      await bus.consume(opts, async (m) => {
        started.resolve();
        await new Promise((r) => setTimeout(r, 100));
        await m.ack();
        finished = true;
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("closing"));
      await started.promise;
      await bus.close();
      expect(finished).toBe(true);
      expect(bus.status().state).toBe("closed");
      expect(heard.at(-1)?.state).toBe("closed");
      const attempts: [string, () => Promise<unknown>][] = [
        ["ping", () => bus.ping(500)],
        ["publish", () => bus.publish("contract.closed", jobPacket("x"))],
        ["publishRaw", () => bus.publishRaw("contract.closed", new Uint8Array([1]))],
        ["publishDurable", () => bus.publishDurable(opts.filterSubject, jobPacket("x"))],
        ["subscribe", () => bus.subscribe("contract.closed", () => {})],
        ["consume", () => bus.consume(workQueue(), async () => {})],
      ];
      for (const [name, call] of attempts) {
        const err = await call().then(
          () => new Error(`${name} succeeded on a closed bus`),
          (e: unknown) => e,
        );
        expect(isCortexError(err, "BUS_UNAVAILABLE"), `${name}: ${String(err)}`).toBe(true);
      }
      // Closing twice is fine.
      await bus.close();
    } finally {
      await ctx.cleanup();
    }
  });
}
