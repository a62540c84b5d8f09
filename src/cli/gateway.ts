import { createGatewayClient, type GatewayClient } from "../client/gateway-client.js";

/** The environment a gateway client needs, as loadEnv (src/config/env.ts) resolves it. */
export interface GatewayEnv {
  CORTEX_GATEWAY_ADDR: string;
  CORTEX_API_KEY?: string | undefined;
}

// The same rules as CORTEX_GATEWAY_ADDR / CORTEX_GRPC_PORT in src/config/env.ts; a unit test
// checks both agree.
const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const PORT_RE = /^[0-9]{1,5}$/;
const DEFAULT_GRPC_PORT = 8080;

/**
 * Reads the gateway address and API key without the full environment schema: loading zod
 * and building that schema is about a fifth of a client command's start-up. Returns
 * undefined when a value is one loadEnv would reject, so the caller can let loadEnv say why.
 */
export function readGatewayEnv(env: NodeJS.ProcessEnv): GatewayEnv | undefined {
  const set = (name: string) => (env[name] === "" ? undefined : env[name]);
  const apiKey = set("CORTEX_API_KEY");
  const addr = set("CORTEX_GATEWAY_ADDR");
  // loadEnv validates CORTEX_GRPC_PORT even when CORTEX_GATEWAY_ADDR overrides it.
  const grpcPort = set("CORTEX_GRPC_PORT");
  if (grpcPort !== undefined && !(PORT_RE.test(grpcPort) && Number(grpcPort) <= 65535)) return undefined;
  if (addr !== undefined) {
    const m = HOST_PORT_RE.exec(addr);
    if (m === null || Number(m[2]) > 65535) return undefined;
  }
  return {
    CORTEX_GATEWAY_ADDR: addr ?? `127.0.0.1:${grpcPort === undefined ? DEFAULT_GRPC_PORT : Number(grpcPort)}`,
    CORTEX_API_KEY: apiKey,
  };
}

/**
 * The gateway address and API key of process.env. A malformed value is reported by loadEnv
 * (imported only then) with its usual ConfigInvalid error.
 */
export async function gatewayEnv(): Promise<GatewayEnv> {
  return readGatewayEnv(process.env) ?? (await import("../config/env.js")).loadEnv(process.env);
}

/** A gateway client for commands, from CORTEX_GATEWAY_ADDR / CORTEX_GRPC_PORT and CORTEX_API_KEY. */
export async function gatewayFromEnv(timeoutMs = 5000): Promise<GatewayClient> {
  const env = await gatewayEnv();
  return createGatewayClient({ address: env.CORTEX_GATEWAY_ADDR, apiKey: env.CORTEX_API_KEY, timeoutMs });
}
