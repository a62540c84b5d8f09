import { createGatewayClient } from "../client/gateway-client.js";
import type { UpResult } from "../client/json-shapes.js";
import { compactJson } from "../core/api-json.js";
import type { ComponentStatus } from "../gen/cortex/v1/api.js";

export interface WaitForStackOptions {
  timeoutMs: number;
  apiKey?: string | undefined;
  /** Stop early when the process we started has died. */
  isAlive?: () => boolean;
  onComponent?: (c: ComponentStatus) => void;
}

/** Polls the gateway's GetStatus until every component reports "running". */
export async function waitForStack(
  address: string,
  opts: WaitForStackOptions,
): Promise<UpResult["components"]> {
  const client = createGatewayClient({ address, apiKey: opts.apiKey, timeoutMs: 1000 });
  const deadline = Date.now() + opts.timeoutMs;
  let last = "the gateway did not answer";
  try {
    while (Date.now() < deadline) {
      if (opts.isAlive && !opts.isAlive()) throw new Error("the daemon process exited");
      try {
        const status = await client.getStatus();
        for (const c of status.components) opts.onComponent?.(c);
        const pending = status.components.filter((c) => c.state !== "running");
        if (status.components.length > 0 && pending.length === 0) {
          return status.components.map((c) =>
            compactJson({ name: c.name, state: c.state, address: c.address }),
          );
        }
        last = `waiting for ${pending.map((c) => c.name).join(", ")}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out (${last})`);
  } finally {
    client.close();
  }
}
