/**
 * Probes of one component of this host (a container's HEALTHCHECK, `cortex health`): each
 * answers undefined when healthy, else what failed.
 */
import { hostname } from "node:os";
import { credentials } from "@grpc/grpc-js";
import type { CortexEnv } from "../config/env.js";
import { SafetyKernelClient } from "../gen/cortex/v1/safety.js";
import { createGatewayClient } from "./gateway-client.js";

/** The daemon's components (src/daemon/component.ts COMPONENT_NAMES; a unit test keeps them equal). */
export const HEALTH_COMPONENTS = ["safety", "scheduler", "gateway", "workers"] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

/** Where this process's own component listens: a wildcard bind is reached on loopback. */
function localHost(env: CortexEnv): string {
  return ["0.0.0.0", "::", "[::]", ""].includes(env.CORTEX_BIND) ? "127.0.0.1" : env.CORTEX_BIND;
}

async function httpOk(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? undefined : `${url} answered ${res.status}`;
  } catch (err) {
    return `${url}: ${(err as Error).message}`;
  }
}

function grpcReady(address: string, timeoutMs: number): Promise<string | undefined> {
  const client = new SafetyKernelClient(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      client.close();
      resolve(err ? `${address}: ${err.message}` : undefined);
    });
  });
}

/** A worker process of this host (container) sends heartbeats the gateway lists as live. */
async function workerListed(env: CortexEnv, timeoutMs: number): Promise<string | undefined> {
  const client = createGatewayClient({
    address: env.CORTEX_GATEWAY_ADDR,
    timeoutMs,
    ...(env.CORTEX_API_KEY ? { apiKey: env.CORTEX_API_KEY } : {}),
  });
  try {
    const { workers } = await client.listWorkers();
    const tag = `-${hostname()}-`;
    return workers.some((w) => w.heartbeat?.workerId.includes(tag))
      ? undefined
      : `the gateway at ${env.CORTEX_GATEWAY_ADDR} lists no worker of host ${hostname()}`;
  } catch (err) {
    return `gateway ${env.CORTEX_GATEWAY_ADDR}: ${(err as Error).message}`;
  } finally {
    client.close();
  }
}

/** What is wrong with `component` of this host, or undefined when it is healthy. */
export function probeComponent(
  component: HealthComponent,
  env: CortexEnv,
  timeoutMs: number,
): Promise<string | undefined> {
  const host = localHost(env);
  switch (component) {
    case "gateway":
      return httpOk(`http://${host}:${env.CORTEX_HTTP_PORT}/ready`, timeoutMs);
    case "scheduler":
      // The process's one /metrics answers once all its components started.
      return httpOk(`http://${host}:${env.CORTEX_METRICS_PORT}/metrics`, timeoutMs);
    case "safety":
      return grpcReady(`${host}:${env.CORTEX_SAFETY_PORT}`, timeoutMs);
    case "workers":
      return workerListed(env, timeoutMs);
  }
}
