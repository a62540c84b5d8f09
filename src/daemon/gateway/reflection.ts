/**
 * gRPC server reflection, so grpcurl and Postman can call the gateway without the .proto
 * files. The descriptors come from the shipped proto/ tree (the same files ts-proto
 * generated src/gen from), loaded once at start.
 */
import { join } from "node:path";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { packageRoot } from "../../config/package-root.js";

export const API_PROTO = "cortex/v1/api.proto";
export const API_SERVICE_NAME = "cortex.v1.CortexApi";

export function addReflection(server: Server, protoRoot = join(packageRoot(), "proto")): void {
  const definition = loadSync(API_PROTO, { includeDirs: [protoRoot] });
  new ReflectionService(definition).addToServer(server);
}
