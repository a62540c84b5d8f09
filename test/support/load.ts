/**
 * Waiting out load in fault tests: polls a list of jobs until each is terminal or a bound passes.
 * The counts of a fault case are in fault-tally.ts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { isJobState, isTerminal } from "../../src/core/states.js";

const isFinal = (state: string): boolean => isJobState(state) && isTerminal(state);

/** Polls until every job is terminal or the bound passes; returns the ids still not terminal. */
export async function pollUntilTerminal(
  client: GatewayClient,
  ids: string[],
  boundMs: number,
): Promise<string[]> {
  const deadline = Date.now() + boundMs;
  let pending = [...ids];
  while (pending.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(
      pending.map((id) =>
        client.getJob(id).then(
          (r) => r.job?.state ?? "",
          () => "",
        ),
      ),
    );
    pending = pending.filter((_, i) => !isFinal(states[i] ?? ""));
    if (pending.length > 0) await sleep(250);
  }
  return pending;
}
