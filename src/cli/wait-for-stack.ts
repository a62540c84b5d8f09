import { createGatewayClient } from "../client/gateway-client.js";
import type { ComponentStatus, GetStatusResponse } from "../gen/cortex/v1/api.js";

export interface WaitForStackOptions {
  timeoutMs: number;
  apiKey?: string | undefined;
  /** Stop early when the process we started has died. */
  isAlive?: () => boolean;
  /** The daemon we started: a gateway answering with another instance id is not ours. */
  instanceId?: string;
  onComponent?: (c: ComponentStatus) => void;
  /** What it is waiting for now, in a few words, for the progress display. */
  onWaiting?: (what: string) => void;
}

/** Why the wait ended without a ready stack; `exited` when our daemon died (see its log). */
export class StackNotReady extends Error {
  constructor(
    message: string,
    readonly exited: boolean,
  ) {
    super(message);
  }
}

/**
 * Polls the gateway's GetStatus until every component reports "running". Asks at least
 * once, so a zero timeout still answers "up" for a stack that is.
 */
export async function waitForStack(address: string, opts: WaitForStackOptions): Promise<GetStatusResponse> {
  const client = createGatewayClient({ address, apiKey: opts.apiKey, timeoutMs: 1000 });
  const deadline = Date.now() + opts.timeoutMs;
  let last = "the gateway did not answer";
  try {
    for (let first = true; first || Date.now() < deadline; first = false) {
      if (opts.isAlive && !opts.isAlive()) throw new StackNotReady("the daemon exited", true);
      try {
        const status = await client.getStatus();
        if (opts.instanceId !== undefined && status.instanceId !== opts.instanceId) {
          // Another stack holds the port; ours fails to bind and exits, which ends the wait.
          last = `another cortex daemon (pid ${status.pid}) answers on ${address}`;
          opts.onWaiting?.(last);
        } else {
          for (const c of status.components) opts.onComponent?.(c);
          const pending = status.components.filter((c) => c.state !== "running");
          if (status.components.length > 0 && pending.length === 0) return status;
          last = `waiting for ${pending.map((c) => c.name).join(", ")}`;
          opts.onWaiting?.(last);
        }
      } catch (err) {
        last = (err as Error).message;
        opts.onWaiting?.("waiting for the gateway");
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new StackNotReady(`timed out after ${opts.timeoutMs / 1000}s (${last})`, false);
  } finally {
    client.close();
  }
}
