/**
 * API keys for gateway tests with tenants: one admin key and keys bound to "acme" and
 * "globex", and gRPC clients per key, all closed together.
 */
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";

export const ADMIN = "admin-key-0123456789abcdef";
export const ACME = "acme-key-0123456789abcdef";
export const GLOBEX = "globex-key-0123456789abcdef";

/** The gateway config's key settings for those keys. */
export const TENANT_KEYS = {
  apiKey: ADMIN,
  apiKeys: [
    { key: ACME, tenant: "acme" },
    { key: GLOBEX, tenant: "globex" },
  ],
};

export interface KeyedClients {
  /** A client of the gateway at `grpcPort()` that sends `apiKey`. */
  client(apiKey: string): GatewayClient;
  closeAll(): void;
}

export function keyedClients(grpcPort: () => number): KeyedClients {
  const made: GatewayClient[] = [];
  return {
    client(apiKey) {
      const c = createGatewayClient({ address: `127.0.0.1:${grpcPort()}`, apiKey, timeoutMs: 5_000 });
      made.push(c);
      return c;
    },
    closeAll() {
      for (const c of made.splice(0)) c.close();
    },
  };
}
