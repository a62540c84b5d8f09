import { createGatewayClient, type GatewayClient } from "../client/gateway-client.js";
import { loadEnv } from "../config/env.js";

/** A gateway client for commands, from CORTEX_GATEWAY_ADDR / CORTEX_GRPC_PORT and CORTEX_API_KEY. */
export function gatewayFromEnv(timeoutMs = 5000): GatewayClient {
  const env = loadEnv(process.env);
  return createGatewayClient({ address: env.CORTEX_GATEWAY_ADDR, apiKey: env.CORTEX_API_KEY, timeoutMs });
}
