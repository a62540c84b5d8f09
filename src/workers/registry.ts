/**
 * Worker kinds by name: the pool and topics of each (from src/core/worker-kinds.ts, the one
 * routing table) and how its worker-SDK definition is built from already-built, typed
 * dependencies. The daemon builds those (src/daemon/worker-deps.ts); no handler reads env
 * or config itself.
 */
import { WORKER_KIND_ROUTES, type WorkerKindName } from "../core/worker-kinds.js";
import type { LlmClient } from "../llm/index.js";
import type { TopicDefinition, WorkerDefinition } from "../sdk/index.js";
import { chatAdvancedWorker } from "./chat-advanced.js";
import { chatSimpleWorker } from "./chat-simple.js";
import { codeLlmWorker } from "./code-llm.js";
import { echoWorker } from "./echo.js";
import type { JobHandler } from "./handler.js";
import { type OrchestratorDeps, orchestratorWorker } from "./orchestrator/orchestrator.js";
import { type PlannerDeps, plannerWorker } from "./planner.js";
import { sdkJobHandler, sdkTopicHandler, servicesUnavailable } from "./sdk-handler.js";

export type { WorkerKindName } from "../core/worker-kinds.js";
export { isWorkerKindName, parseWorkerKindName, workerKindNames } from "../core/worker-kinds.js";

/** Kinds that need nothing but the job. */
export type NoDeps = Record<string, never>;

/** The LLM kinds: the client already carries the model, base URL and request timeout. */
export interface LlmWorkerDeps {
  llm: LlmClient;
}

/** What each kind's definition is built from. */
export interface WorkerKindDeps {
  echo: NoDeps;
  "chat-simple": NoDeps;
  "chat-advanced": LlmWorkerDeps;
  "code-llm": LlmWorkerDeps;
  orchestrator: OrchestratorDeps;
  planner: PlannerDeps;
}

const DEFINITIONS: { [K in WorkerKindName]: (deps: WorkerKindDeps[K]) => WorkerDefinition } = {
  echo: () => echoWorker,
  "chat-simple": () => chatSimpleWorker,
  "chat-advanced": ({ llm }) => chatAdvancedWorker(llm),
  "code-llm": ({ llm }) => codeLlmWorker(llm),
  orchestrator: orchestratorWorker,
  planner: plannerWorker,
};

export interface WorkerKind<K extends WorkerKindName = WorkerKindName> {
  kind: K;
  pool: string;
  topics: readonly string[];
  createDefinition: (deps: WorkerKindDeps[K]) => WorkerDefinition;
  /** The definition run as the runtime's handler. */
  createHandler: (deps: WorkerKindDeps[K]) => JobHandler;
}

/**
 * Built-in kinds get their clients as deps, so ctx.submit / ctx.wait / ctx.llm are not wired.
 * A one-topic kind serves whatever topic it is subscribed to (tests run kinds on their own topics).
 */
function builtinHandler(kind: WorkerKindName, definition: WorkerDefinition): JobHandler {
  const services = servicesUnavailable(kind);
  const topics = Object.values(definition.topics);
  return topics.length === 1
    ? sdkTopicHandler(topics[0] as TopicDefinition, services)
    : sdkJobHandler(definition, services);
}

export function workerKind<K extends WorkerKindName>(name: K): WorkerKind<K> {
  const route = WORKER_KIND_ROUTES[name];
  const createDefinition = DEFINITIONS[name];
  return {
    kind: name,
    pool: route.pool,
    topics: route.topics,
    createDefinition,
    createHandler: (deps) => builtinHandler(name, createDefinition(deps)),
  };
}
