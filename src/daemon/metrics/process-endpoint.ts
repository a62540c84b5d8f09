/**
 * One /metrics per process: every component of the process registers on one registry, served
 * on CORTEX_METRICS_PORT. The all-in-one daemon also answers on the three seed ports
 * (CORTEX_SCHEDULER_/ORCHESTRATOR_/GATEWAY_METRICS_PORT), each with the same text, so
 * existing scrape targets keep working; a scraper should take one of them, not all.
 */
import type { Registry } from "prom-client";
import type { CortexEnv } from "../../config/env.js";
import { type MetricsServer, startMetricsServer } from "../metrics-server.js";

export const METRICS_ALIAS_VARS = [
  "CORTEX_SCHEDULER_METRICS_PORT",
  "CORTEX_ORCHESTRATOR_METRICS_PORT",
  "CORTEX_GATEWAY_METRICS_PORT",
] as const;

export interface ProcessEndpointOptions {
  registry: Registry;
  env: CortexEnv;
  /** The process runs every component: the seed ports answer too. */
  allInOne: boolean;
}

export interface ProcessEndpoint {
  /** host:port of CORTEX_METRICS_PORT, as bound. */
  address: string;
  /** Every port that answers, CORTEX_METRICS_PORT's first. */
  ports: number[];
  close(): Promise<void>;
}

/** The seed ports to serve besides `main`: 0, or a port already served, is none. */
export function aliasPorts(env: CortexEnv, main: number): { port: number; envVar: string }[] {
  const seen = new Set([main, 0]);
  const out: { port: number; envVar: string }[] = [];
  for (const envVar of METRICS_ALIAS_VARS) {
    const port = env[envVar];
    if (seen.has(port)) continue;
    seen.add(port);
    out.push({ port, envVar });
  }
  return out;
}

export async function serveProcessMetrics(opts: ProcessEndpointOptions): Promise<ProcessEndpoint> {
  const { registry, env } = opts;
  const host = env.CORTEX_BIND;
  const servers: MetricsServer[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  };
  try {
    servers.push(
      await startMetricsServer({
        registry,
        host,
        port: env.CORTEX_METRICS_PORT,
        portEnvVar: "CORTEX_METRICS_PORT",
      }),
    );
    const main = servers[0]?.port ?? env.CORTEX_METRICS_PORT;
    const aliases = opts.allInOne ? aliasPorts(env, env.CORTEX_METRICS_PORT) : [];
    for (const { port, envVar } of aliases) {
      if (port === main) continue;
      servers.push(await startMetricsServer({ registry, host, port, portEnvVar: envVar }));
    }
    return { address: `${host}:${main}`, ports: servers.map((s) => s.port), close };
  } catch (err) {
    await close();
    throw err;
  }
}
