/** The workflow plan settings the environment chooses (USE_PLANNER, CORTEX_WORKFLOW_*), with defaults. */
import type { CortexEnv } from "../config/env.js";
import { DEFAULT_EXPLAIN_TOPIC } from "../core/plan.js";
import { DEFAULT_WORKFLOW_TOPICS, type PlanSettings } from "../workers/orchestrator/settings.js";

export type WorkflowEnv = Partial<
  Pick<CortexEnv, "USE_PLANNER" | "CORTEX_WORKFLOW_TOPICS" | "CORTEX_WORKFLOW_EXPLAIN_TOPIC">
>;

export function planSettingsFromEnv(env: WorkflowEnv): PlanSettings {
  return {
    allowedTopics: env.CORTEX_WORKFLOW_TOPICS ?? DEFAULT_WORKFLOW_TOPICS,
    explainTopic: env.CORTEX_WORKFLOW_EXPLAIN_TOPIC ?? DEFAULT_EXPLAIN_TOPIC,
    usePlanner: env.USE_PLANNER ?? true,
  };
}
