/**
 * Worker kinds by name: the pool and topics of each (from src/core/worker-kinds.ts, the one
 * routing table) and how its handler is built from already-built, typed dependencies. The
 * daemon builds those (src/daemon/worker-deps.ts); no handler reads env or config itself.
 */
import { WORKER_KIND_ROUTES, type WorkerKindName } from "../core/worker-kinds.js";
import type { LlmClient } from "../llm/index.js";
import { chatAdvancedHandler } from "./chat-advanced.js";
import { chatSimpleHandler } from "./chat-simple.js";
import { codeLlmHandler } from "./code-llm.js";
import { echoHandler } from "./echo.js";
import type { JobHandler } from "./handler.js";
import { type OrchestratorDeps, orchestratorHandler } from "./orchestrator/orchestrator.js";
import { type PlannerDeps, plannerHandler } from "./planner.js";

export type { WorkerKindName } from "../core/worker-kinds.js";
export { isWorkerKindName, parseWorkerKindName, workerKindNames } from "../core/worker-kinds.js";

/** Kinds that need nothing but the job. */
export type NoDeps = Record<string, never>;

/** The LLM kinds: the client already carries the model, base URL and request timeout. */
export interface LlmWorkerDeps {
  llm: LlmClient;
}

/** What each kind's handler is built from. */
export interface WorkerKindDeps {
  echo: NoDeps;
  "chat-simple": NoDeps;
  "chat-advanced": LlmWorkerDeps;
  "code-llm": LlmWorkerDeps;
  orchestrator: OrchestratorDeps;
  planner: PlannerDeps;
}

const HANDLERS: { [K in WorkerKindName]: (deps: WorkerKindDeps[K]) => JobHandler } = {
  echo: () => echoHandler,
  "chat-simple": () => chatSimpleHandler,
  "chat-advanced": ({ llm }) => chatAdvancedHandler(llm),
  "code-llm": ({ llm }) => codeLlmHandler(llm),
  orchestrator: orchestratorHandler,
  planner: plannerHandler,
};

export interface WorkerKind<K extends WorkerKindName = WorkerKindName> {
  kind: K;
  pool: string;
  topics: readonly string[];
  createHandler: (deps: WorkerKindDeps[K]) => JobHandler;
}

export function workerKind<K extends WorkerKindName>(name: K): WorkerKind<K> {
  const route = WORKER_KIND_ROUTES[name];
  return { kind: name, pool: route.pool, topics: route.topics, createHandler: HANDLERS[name] };
}
