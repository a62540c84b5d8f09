/**
 * What one workflow topic runs with: its name, deadlines and retries (timeouts.yaml
 * `workflows.<name>`, found through `topics.<topic>.workflow`), plus the plan settings the
 * daemon builds once (step allow-list, the default plan's explain topic, planner on/off).
 */
import { type TimeoutsConfig, timeoutFor, workflowForTopic, workflowTimeouts } from "../../config/index.js";
import { JobTopics } from "../../core/subjects.js";

/** Topics a step may use unless CORTEX_WORKFLOW_TOPICS says otherwise; never workflows or sys.*. */
export const DEFAULT_WORKFLOW_TOPICS: readonly string[] = [
  JobTopics.codeLlm,
  JobTopics.chatAdvanced,
  JobTopics.chatSimple,
  JobTopics.echo,
];

/** The workflow a topic runs when timeouts.yaml does not say (the shipped file does). */
const DEFAULT_WORKFLOW_NAMES: Readonly<Record<string, string>> = {
  [JobTopics.workflowDemo]: "code_review_demo",
};

/** Shared by the orchestrator and the planner, so both judge a plan alike. */
export interface PlanSettings {
  allowedTopics: readonly string[];
  explainTopic: string;
  usePlanner: boolean;
}

export interface WorkflowSettings extends PlanSettings {
  /** timeouts.yaml workflow name, the `workflow` label of the metrics. */
  name: string;
  /** Deadline of each child job, from its submit. */
  childTimeoutMs: number;
  /** Deadline of the whole workflow (the parent job's own attempt timeout). */
  totalTimeoutMs: number;
  /** Extra attempts of a failed step (each a new child job). */
  maxRetries: number;
}

export function workflowSettings(
  topic: string,
  timeouts: TimeoutsConfig,
  plan: PlanSettings,
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
    ...plan,
  };
}
