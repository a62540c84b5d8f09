/**
 * The planner worker (`job.workflow.plan`, pool `workflow`): asks the model for a workflow
 * plan as structured output (steps `{id, topic, depends_on, input}`, topics restricted to
 * the allow-list) and validates it — shape, allow-list, routing, safety kernel, no cycle.
 * When the model cannot be asked or its plan fails validation, it returns the default
 * plan instead. Either way the job succeeds and `plan_source` says which plan it is, with
 * `plan_reason` saying why the model's was not used. Written with the worker SDK; the daemon
 * injects the LLM client, policy and routing.
 */
import { z } from "zod";
import type { PoolsConfig } from "../config/index.js";
import { defaultPlan, describeProblems, type Plan, type PlanSource, planJsonSchema } from "../core/plan.js";
import type { PolicyChecker } from "../core/policy-checker.js";
import { JobTopics } from "../core/subjects.js";
import { WORKER_KIND_ROUTES } from "../core/worker-kinds.js";
import type { LlmClient, LlmUsage } from "../llm/index.js";
import { defineWorker, type WorkerContext, type WorkerDefinition } from "../sdk/index.js";
import { validatePlan } from "./orchestrator/plan-checks.js";

export interface PlannerResult {
  job_id: string;
  processed_by: string;
  plan: Plan;
  plan_source: PlanSource;
  /** Why the default plan is returned; absent for a model plan. */
  plan_reason?: string;
  model?: string;
  usage?: LlmUsage;
  completed_at: string;
}

const plannerContext = z.object({
  file_path: z.string().default("snippet"),
  code_snippet: z.string().default(""),
  instruction: z.string().min(1, { error: "expected a non-empty string" }),
  /** The orchestrator sends its allow-list so both sides judge a plan alike. */
  allowed_topics: z.array(z.string().min(1)).min(1).optional(),
  explain_topic: z.string().min(1).optional(),
});
type PlannerContext = z.infer<typeof plannerContext>;

const EXAMPLE = { file_path: "src/x.py", code_snippet: "<the file>", instruction: "add type hints" };

const TOPIC_HELP: Readonly<Record<string, string>> = {
  [JobTopics.codeLlm]:
    "revises the file (context code_snippet) as the instruction says; result {patch: {type, content}, original_code}",
  [JobTopics.chatAdvanced]: "answers input.prompt with a language model; result {response}",
  [JobTopics.chatSimple]: "echoes input.prompt back; result {response}",
  [JobTopics.echo]: "returns its context unchanged (input.sleep_ms waits first); result {received_ctx}",
};

function systemPrompt(allowed: readonly string[]): string {
  return [
    'You plan workflows for cortex, a job runner. Answer with JSON only: {"steps": [...]}.',
    'Each step is {"id": "<short name>", "topic": "<topic>", "depends_on": ["<ids>"], "input": {...}}.',
    "Steps run as soon as the steps they depend on succeeded; steps with no dependency between them run in parallel.",
    "Every step's context already holds file_path, code_snippet and instruction; input adds to it.",
    "In input strings, {{workflow.instruction}} inserts a workflow input and {{steps.<id>.<path>}} a field of a",
    "dependency's result, e.g. {{steps.patch.patch.content}} is the diff from a job.code.llm step named patch.",
    "Topics you may use:",
    ...allowed.map((t) => `- ${t}${TOPIC_HELP[t] ? `: ${TOPIC_HELP[t]}` : ""}`),
    "A code review is usually: a job.code.llm step, then a chat step that explains its patch.",
  ].join("\n");
}

function userPrompt(req: PlannerContext): string {
  const lines = req.code_snippet === "" ? 0 : req.code_snippet.split("\n").length;
  return `File: ${req.file_path} (${lines} lines)\nInstruction: ${req.instruction}\nPlan the workflow.`;
}

/** Built once by the daemon (src/daemon/worker-deps.ts); the planner reads no env or file. */
export interface PlannerDeps {
  llm: LlmClient;
  policy: PolicyChecker;
  pools: PoolsConfig;
  /** Used when the job does not bring its own allow-list / explain topic. */
  allowedTopics: readonly string[];
  explainTopic: string;
}

const route = WORKER_KIND_ROUTES.planner;

export function plannerWorker(deps: PlannerDeps): WorkerDefinition {
  return defineWorker({
    pool: route.pool,
    topics: {
      [route.topics[0]]: {
        input: plannerContext,
        example: EXAMPLE,
        handler: (input, ctx) => plan(deps, input as PlannerContext, ctx),
      },
    },
  });
}

async function plan(deps: PlannerDeps, req: PlannerContext, ctx: WorkerContext): Promise<PlannerResult> {
  const { signal } = ctx;
  signal.throwIfAborted();
  const allowed = req.allowed_topics ?? deps.allowedTopics;
  const base = { job_id: ctx.jobId, processed_by: ctx.workerId };
  const fallback = (reason: string, extra: Partial<PlannerResult> = {}): PlannerResult => ({
    ...base,
    plan: defaultPlan(req.explain_topic ?? deps.explainTopic),
    plan_source: "default",
    plan_reason: reason,
    ...extra,
    completed_at: new Date().toISOString(),
  });

  let answer: Awaited<ReturnType<LlmClient["chat"]>>;
  try {
    answer = await deps.llm.chat({
      messages: [
        { role: "system", content: systemPrompt(allowed) },
        { role: "user", content: userPrompt(req) },
      ],
      format: planJsonSchema(allowed),
      signal,
      onToken: ctx.progress,
    });
  } catch (err) {
    // Cancelled or timed out: the job ends that way, not with a plan.
    if (signal.aborted) throw err;
    return fallback(`the model could not be asked: ${err instanceof Error ? err.message : String(err)}`);
  }
  const used = { model: answer.model, usage: answer.usage };
  let candidate: unknown;
  try {
    candidate = JSON.parse(answer.content);
  } catch {
    return fallback("the model's plan is not valid JSON", used);
  }
  const check = await validatePlan(candidate, {
    allowedTopics: allowed,
    pools: deps.pools,
    policy: deps.policy,
    tenant: ctx.tenant,
    jobIdFor: (stepId) => `${ctx.jobId}-${stepId}`,
    failClosed: true,
  });
  if (!check.ok) return fallback(`the model's plan was rejected: ${describeProblems(check.problems)}`, used);
  return {
    ...base,
    plan: check.plan,
    plan_source: "model",
    ...used,
    completed_at: new Date().toISOString(),
  };
}
