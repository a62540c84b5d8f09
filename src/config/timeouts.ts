import { z } from "zod";
import { nonNegativeInt, positiveInt, topicName, workflowName } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";

export const TIMEOUTS_ENV_VAR = "TIMEOUT_CONFIG_PATH";

export const workflowTimeoutsSchema = z
  .strictObject({
    child_timeout_seconds: positiveInt(),
    total_timeout_seconds: positiveInt(),
    max_retries: nonNegativeInt(),
  })
  .superRefine((w, ctx) => {
    // A child step can never be allowed longer than the whole workflow it belongs to.
    if (w.child_timeout_seconds > w.total_timeout_seconds) {
      ctx.addIssue({
        code: "custom",
        path: ["child_timeout_seconds"],
        message: `expected at most total_timeout_seconds (${w.total_timeout_seconds}), got ${w.child_timeout_seconds}`,
      });
    }
  });

export const topicTimeoutSchema = z
  .strictObject({
    timeout_seconds: positiveInt().optional(),
    /**
     * The topic runs this workflow (`workflows.<name>`): its deadline is the workflow's
     * total_timeout_seconds, so the job is never cut short by a second, drifting number.
     */
    workflow: workflowName().optional(),
    max_retries: nonNegativeInt().optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.timeout_seconds === undefined) === (t.workflow === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: t.timeout_seconds === undefined ? ["timeout_seconds"] : ["workflow"],
        message:
          t.timeout_seconds === undefined
            ? "required key is missing (expected a positive integer, or `workflow: <name>`)"
            : "expected either timeout_seconds or workflow, not both",
      });
    }
  });

export const reconcilerSchema = z.strictObject({
  dispatch_timeout_seconds: positiveInt(),
  running_timeout_seconds: positiveInt(),
  scan_interval_seconds: positiveInt(),
});

/** config/timeouts.yaml: per-topic and per-workflow deadlines and retries, and the reconciler's pace. */
export const timeoutsConfigSchema = z
  .strictObject({
    workflows: z
      .record(workflowName(), workflowTimeoutsSchema, {
        error: "expected a map of workflow name -> timeouts",
      })
      .default({}),
    topics: z
      .record(topicName(), topicTimeoutSchema, { error: "expected a map of topic -> timeouts" })
      .default({}),
    reconciler: reconcilerSchema,
  })
  .superRefine((file, ctx) => {
    for (const [topic, entry] of Object.entries(file.topics)) {
      if (entry.workflow !== undefined && !Object.hasOwn(file.workflows, entry.workflow)) {
        ctx.addIssue({
          code: "custom",
          path: ["topics", topic, "workflow"],
          message: `expected the name of a workflow under workflows (${Object.keys(file.workflows).join(", ") || "none configured"}), got "${entry.workflow}"`,
        });
      }
    }
  });

export type WorkflowTimeouts = z.infer<typeof workflowTimeoutsSchema>;
export type TopicTimeout = z.infer<typeof topicTimeoutSchema>;
export type ReconcilerConfig = z.infer<typeof reconcilerSchema>;
export type TimeoutsConfig = z.infer<typeof timeoutsConfigSchema>;

export function loadTimeoutsFile(path: string): TimeoutsConfig {
  return loadYamlConfig({ path, envVar: TIMEOUTS_ENV_VAR }, timeoutsConfigSchema);
}

export interface JobTimeout {
  timeoutSeconds: number;
  maxRetries: number;
}

/**
 * The deadline and retry budget of one job on `topic`. A topic without an entry gets the
 * reconciler's running timeout (the point at which it would be failed anyway) and no retries,
 * because retrying an unknown job kind is not known to be safe.
 */
export function timeoutFor(timeouts: TimeoutsConfig, topic: string): JobTimeout {
  const entry = Object.hasOwn(timeouts.topics, topic) ? timeouts.topics[topic] : undefined;
  const maxRetries = entry?.max_retries ?? 0;
  if (entry?.timeout_seconds !== undefined) return { timeoutSeconds: entry.timeout_seconds, maxRetries };
  const workflow = entry?.workflow === undefined ? undefined : workflowTimeouts(timeouts, entry.workflow);
  // A topic that runs a workflow lives as long as the whole workflow may (all steps and retries).
  if (workflow) return { timeoutSeconds: workflow.totalTimeoutSeconds, maxRetries };
  return { timeoutSeconds: timeouts.reconciler.running_timeout_seconds, maxRetries: 0 };
}

/** The workflow a topic runs (`topics.<topic>.workflow`), or undefined. */
export function workflowForTopic(timeouts: TimeoutsConfig, topic: string): string | undefined {
  const entry = Object.hasOwn(timeouts.topics, topic) ? timeouts.topics[topic] : undefined;
  return entry?.workflow;
}

export interface WorkflowTimeoutValues {
  childTimeoutSeconds: number;
  totalTimeoutSeconds: number;
  maxRetries: number;
}

/** The timeouts of workflow `name`, or undefined when the file does not configure it. */
export function workflowTimeouts(timeouts: TimeoutsConfig, name: string): WorkflowTimeoutValues | undefined {
  const entry = Object.hasOwn(timeouts.workflows, name) ? timeouts.workflows[name] : undefined;
  if (!entry) return undefined;
  return {
    childTimeoutSeconds: entry.child_timeout_seconds,
    totalTimeoutSeconds: entry.total_timeout_seconds,
    maxRetries: entry.max_retries,
  };
}

/** For components run without a timeouts.yaml (tests, a gateway that only defers): no retries anywhere. */
export const NO_RETRY_TIMEOUTS: TimeoutsConfig = {
  workflows: {},
  topics: {},
  reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 300, scan_interval_seconds: 5 },
};
