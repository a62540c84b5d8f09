/** Waits on a daemon or worker started with spawnCli, through the gateway's status calls. */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import type { CliProcess } from "./cli.js";

export async function waitForReady(
  client: GatewayClient,
  proc: CliProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const st = await client.getStatus().catch(() => undefined);
    if (st && st.components.length > 0 && st.components.every((c) => c.state === "running")) return;
    await sleep(100);
  }
  throw new Error(`daemon not ready:\n${proc.output()}`);
}

export async function waitForWorkers(
  client: GatewayClient,
  pool: string,
  n: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await client.listWorkers().catch(() => undefined);
    if ((res?.pools.find((p) => p.pool === pool)?.liveWorkers ?? 0) >= n) return;
    await sleep(100);
  }
  throw new Error(`no ${n} live worker(s) in pool ${pool}`);
}
