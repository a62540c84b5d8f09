import { hostname } from "node:os";
import { credentials } from "@grpc/grpc-js";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { createGatewayClient } from "../client/gateway-client.js";
import { type CortexEnv, loadEnv } from "../config/env.js";
import { COMPONENT_NAMES, type ComponentName } from "../daemon/component.js";
import { SafetyKernelClient } from "../gen/cortex/v1/safety.js";

interface HealthResult {
  component: ComponentName;
  healthy: boolean;
  detail: string;
}

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

export default class Health extends BaseCommand {
  static override summary =
    "Check one component of this host and exit 0 (healthy) or 1 (a container HEALTHCHECK)";
  static override description =
    "gateway: GET /ready on CORTEX_HTTP_PORT; scheduler: its metrics endpoint; safety: the kernel's gRPC " +
    "port answers; workers: the gateway (CORTEX_GATEWAY_ADDR) lists a live worker of this host.";
  static override examples = [
    "<%= config.bin %> health --component gateway",
    "<%= config.bin %> health --component workers",
  ];
  static override flags = {
    component: Flags.string({ options: [...COMPONENT_NAMES], required: true, description: "what to check" }),
    timeout: Flags.integer({ default: 3000, description: "milliseconds before the check counts as failed" }),
  };

  async run(): Promise<HealthResult> {
    const { flags } = await this.parse(Health);
    const env = loadEnv(process.env);
    const component = flags.component as ComponentName;
    const host = localHost(env);
    const ms = flags.timeout;
    const problem = await {
      gateway: () => httpOk(`http://${host}:${env.CORTEX_HTTP_PORT}/ready`, ms),
      scheduler: () => httpOk(`http://${host}:${env.CORTEX_SCHEDULER_METRICS_PORT}/metrics`, ms),
      safety: () => grpcReady(`${host}:${env.CORTEX_SAFETY_PORT}`, ms),
      workers: () => workerListed(env, ms),
    }[component]();
    const result = { component, healthy: problem === undefined, detail: problem ?? "ok" };
    if (!this.jsonEnabled())
      this.log(`${component}: ${result.healthy ? "healthy" : `unhealthy (${problem})`}`);
    if (!result.healthy) process.exitCode = ExitCode.JobFailed;
    return result;
  }
}
