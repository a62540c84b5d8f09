/**
 * What one workflow topic runs with: its name, deadlines and retries (timeouts.yaml
 * `workflows.<name>`, found through `topics.<topic>.workflow`), the step allow-list, the
 * default plan's explain topic and whether the planner is asked.
 */
import type { CortexEnv } from "../../config/env.js";
import { type TimeoutsConfig, timeoutFor, workflowForTopic, workflowTimeouts } from "../../config/index.js";
import { DEFAULT_EXPLAIN_TOPIC } from "../../core/plan.js";

/** Topics a step may use unless CORTEX_WORKFLOW_TOPICS says otherwise; never workflows or sys.*. */
export const DEFAULT_WORKFLOW_TOPICS: readonly string[] = [
  "job.code.llm",
  "job.chat.advanced",
  "job.chat.simple",
  "job.echo",
];

/** The workflow a topic runs when timeouts.yaml does not say (the shipped file does). */
const DEFAULT_WORKFLOW_NAMES: Readonly<Record<string, string>> = {
  "job.workflow.demo": "code_review_demo",
};

export interface WorkflowSettings {
  /** timeouts.yaml workflow name, the `workflow` label of the metrics. */
  name: string;
  /** Deadline of each child job, from its submit. */
  childTimeoutMs: number;
  /** Deadline of the whole workflow (the parent job's own attempt timeout). */
  totalTimeoutMs: number;
  /** Extra attempts of a failed step (each a new child job). */
  maxRetries: number;
  allowedTopics: readonly string[];
  explainTopic: string;
  usePlanner: boolean;
}

export type WorkflowEnv = Partial<
  Pick<CortexEnv, "USE_PLANNER" | "CORTEX_WORKFLOW_TOPICS" | "CORTEX_WORKFLOW_EXPLAIN_TOPIC">
>;

/** The env-driven part, shared with the planner: allow-list, explain topic, planner on/off. */
export function planSettings(
  env: WorkflowEnv,
): Pick<WorkflowSettings, "allowedTopics" | "explainTopic" | "usePlanner"> {
  return {
    allowedTopics: env.CORTEX_WORKFLOW_TOPICS ?? DEFAULT_WORKFLOW_TOPICS,
    explainTopic: env.CORTEX_WORKFLOW_EXPLAIN_TOPIC ?? DEFAULT_EXPLAIN_TOPIC,
    usePlanner: env.USE_PLANNER ?? true,
  };
}

export function workflowSettings(
  topic: string,
  timeouts: TimeoutsConfig,
  env: WorkflowEnv,
): WorkflowSettings {
  const name =
    workflowForTopic(timeouts, topic) ?? DEFAULT_WORKFLOW_NAMES[topic] ?? topic.replaceAll(".", "_");
  const configured = workflowTimeouts(timeouts, name);
  // Unconfigured: the whole workflow gets the topic's deadline and a step is not retried.
  const totalSeconds = configured?.totalTimeoutSeconds ?? timeoutFor(timeouts, topic).timeoutSeconds;
  return {
    name,
    childTimeoutMs: (configured?.childTimeoutSeconds ?? totalSeconds) * 1000,
    totalTimeoutMs: totalSeconds * 1000,
    maxRetries: configured?.maxRetries ?? 0,
    ...planSettings(env),
  };
}
