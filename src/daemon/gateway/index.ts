export {
  GATEWAY_DEFAULTS,
  type GatewayConfig,
  type GatewayOptions,
  type GatewayPorts,
  GatewayServer,
} from "./gateway-server.js";
