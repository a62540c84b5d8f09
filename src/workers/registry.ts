/**
 * Worker kinds by name: the pool a kind serves, the topics it consumes and its handler.
 * `cortex worker start <kind>` and the daemon look kinds up here; later kinds (chat-advanced,
 * code-llm, orchestrator, planner) are added as entries.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { createChatAdvancedHandler } from "./chat-advanced.js";
import { createChatSimpleHandler } from "./chat-simple.js";
import { createCodeLlmHandler } from "./code-llm.js";
import { createEchoHandler } from "./echo.js";
import type { HandlerFactory } from "./handler.js";
import { createOrchestratorHandler } from "./orchestrator/orchestrator.js";
import { createPlannerHandler } from "./planner.js";

export interface WorkerKind {
  kind: string;
  pool: string;
  topics: readonly string[];
  createHandler: HandlerFactory;
}

export const WORKER_KINDS: Readonly<Record<string, WorkerKind>> = {
  echo: { kind: "echo", pool: "echo", topics: ["job.echo"], createHandler: createEchoHandler },
  "chat-simple": {
    kind: "chat-simple",
    pool: "chat-simple",
    topics: ["job.chat.simple"],
    createHandler: createChatSimpleHandler,
  },
  "chat-advanced": {
    kind: "chat-advanced",
    pool: "chat-advanced",
    topics: ["job.chat.advanced"],
    createHandler: createChatAdvancedHandler,
  },
  "code-llm": {
    kind: "code-llm",
    pool: "code-llm",
    topics: ["job.code.llm"],
    createHandler: createCodeLlmHandler,
  },
  // Two kinds, one pool: a parent waiting on its planner never holds the slot the planner needs.
  orchestrator: {
    kind: "orchestrator",
    pool: "workflow",
    topics: ["job.workflow.demo"],
    createHandler: createOrchestratorHandler,
  },
  planner: {
    kind: "planner",
    pool: "workflow",
    topics: ["job.workflow.plan"],
    createHandler: createPlannerHandler,
  },
};

export function workerKindNames(): string[] {
  return Object.keys(WORKER_KINDS);
}

/** The kind named `name`; an unknown name is INVALID_ARGUMENT listing the known ones. */
export function workerKind(name: string): WorkerKind {
  const found = Object.hasOwn(WORKER_KINDS, name) ? WORKER_KINDS[name] : undefined;
  if (!found) {
    throw new CortexError(ErrorCode.InvalidArgument, `unknown worker kind "${name}"`, {
      hint: `Use one of: ${workerKindNames().join(", ")}.`,
      details: { field: "kind", value: name },
    });
  }
  return found;
}
