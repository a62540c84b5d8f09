/**
 * Cortex's own worker kinds: the pool each serves and the topics it consumes. Pure data,
 * the one source of truth for routing on the worker side: the daemon, `cortex worker start`
 * and `cortex config check` read it, and config/pools.yaml must agree with it
 * (checked by src/core/routing-check.ts).
 */
import { CortexError, ErrorCode } from "./errors.js";
import { JobTopics } from "./subjects.js";

export interface WorkerKindRoute {
  pool: string;
  topics: readonly string[];
}

export const WORKER_KIND_ROUTES = {
  echo: { pool: "echo", topics: [JobTopics.echo] },
  "chat-simple": { pool: "chat-simple", topics: [JobTopics.chatSimple] },
  "chat-advanced": { pool: "chat-advanced", topics: [JobTopics.chatAdvanced] },
  "code-llm": { pool: "code-llm", topics: [JobTopics.codeLlm] },
  // Two kinds, one pool: a parent waiting on its planner never holds the slot the planner needs.
  orchestrator: { pool: "workflow", topics: [JobTopics.workflowDemo] },
  planner: { pool: "workflow", topics: [JobTopics.workflowPlan] },
} as const satisfies Record<string, WorkerKindRoute>;

export type WorkerKindName = keyof typeof WORKER_KIND_ROUTES;

/** Where the table above lives, for messages that send the user here. */
export const WORKER_KINDS_FILE = "src/core/worker-kinds.ts";

export function workerKindNames(): WorkerKindName[] {
  return Object.keys(WORKER_KIND_ROUTES) as WorkerKindName[];
}

export function isWorkerKindName(name: string): name is WorkerKindName {
  return Object.hasOwn(WORKER_KIND_ROUTES, name);
}

/** `name` as a kind; an unknown name is INVALID_ARGUMENT listing the known ones. */
export function parseWorkerKindName(name: string): WorkerKindName {
  if (isWorkerKindName(name)) return name;
  throw new CortexError(ErrorCode.InvalidArgument, `unknown worker kind "${name}"`, {
    hint: `Use one of: ${workerKindNames().join(", ")}.`,
    details: { field: "kind", value: name },
  });
}
