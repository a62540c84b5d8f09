import { describe, expect, it } from "vitest";
import { readGatewayEnv } from "../../../src/cli/gateway.js";
import { loadEnv } from "../../../src/config/env.js";

/** What loadEnv makes of the gateway variables, or undefined where it rejects them. */
function viaLoadEnv(env: NodeJS.ProcessEnv) {
  try {
    const e = loadEnv(env);
    return { CORTEX_GATEWAY_ADDR: e.CORTEX_GATEWAY_ADDR, CORTEX_API_KEY: e.CORTEX_API_KEY };
  } catch {
    return undefined;
  }
}

const CASES: NodeJS.ProcessEnv[] = [
  {},
  { CORTEX_GRPC_PORT: "9000" },
  { CORTEX_GRPC_PORT: "0" },
  { CORTEX_GRPC_PORT: "65535" },
  { CORTEX_GRPC_PORT: "65536" },
  { CORTEX_GRPC_PORT: "007" },
  { CORTEX_GRPC_PORT: "" },
  { CORTEX_GRPC_PORT: "80a" },
  { CORTEX_GRPC_PORT: " 80" },
  { CORTEX_GRPC_PORT: "123456" },
  { CORTEX_GATEWAY_ADDR: "10.0.0.1:7000" },
  { CORTEX_GATEWAY_ADDR: "gateway.internal:443", CORTEX_GRPC_PORT: "9000" },
  { CORTEX_GATEWAY_ADDR: "[::1]:8080" },
  { CORTEX_GATEWAY_ADDR: "" },
  { CORTEX_GATEWAY_ADDR: "localhost" },
  { CORTEX_GATEWAY_ADDR: "host:99999" },
  { CORTEX_GATEWAY_ADDR: "host:65536" },
  { CORTEX_GATEWAY_ADDR: "http://host:80" },
  { CORTEX_GATEWAY_ADDR: "host:80", CORTEX_GRPC_PORT: "x" },
  { CORTEX_API_KEY: "k1" },
  { CORTEX_API_KEY: "" },
  { CORTEX_API_KEY: "k1", API_KEY: "k2" },
];

describe("readGatewayEnv", () => {
  it.each(CASES.map((env) => [JSON.stringify(env), env]))("agrees with loadEnv for %s", (_, env) => {
    expect(readGatewayEnv(env)).toEqual(viaLoadEnv(env));
  });
});
