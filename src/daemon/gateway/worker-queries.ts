/** ListWorkers, shared by gRPC and HTTP: live workers from the gateway's heartbeat registry. */
import { summarizePools, type WorkerRegistry } from "../../core/worker-registry.js";
import type { ListWorkersRequest, ListWorkersResponse } from "../../gen/cortex/v1/api.js";

export interface WorkerQueryDeps {
  registry: WorkerRegistry;
  /** pools.yaml `topics` (topic -> pool). */
  poolTopics: Readonly<Record<string, string>>;
}

export function listWorkers(deps: WorkerQueryDeps, req: ListWorkersRequest): ListWorkersResponse {
  const live = deps.registry.live(req.pool === "" ? undefined : req.pool);
  const pools = summarizePools(live, deps.poolTopics).filter((p) => req.pool === "" || p.pool === req.pool);
  return {
    workers: live.map((e) => ({ heartbeat: e.heartbeat, lastSeenMs: e.lastSeenMs })),
    pools,
  };
}
