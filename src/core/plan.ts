/**
 * Workflow plans: a DAG of steps, each a child job on one topic. Pure: the shape, the
 * structural checks (unique ids, known dependencies, no cycle, allowed and routable topics,
 * references only to dependencies), the default plan, input templates and child job ids.
 * The safety check is I/O and lives with the orchestrator; its problem code is listed here.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { JobTopics } from "./subjects.js";
import { matchesSubject } from "./topic-match.js";

export interface PlanStep {
  /** Unique within the plan; part of the child job id. */
  id: string;
  topic: string;
  /** Ids of steps that must succeed before this one starts. */
  depends_on: string[];
  /** Merged into the child's context after templates are resolved. */
  input: Record<string, unknown>;
}

export interface Plan {
  steps: PlanStep[];
}

/** Where a plan came from: the model (validated), or the built-in default. */
export type PlanSource = "model" | "default";

export const MAX_PLAN_STEPS = 16;
/** Letters first, then letters, digits, _ and -; short enough to keep child job ids under 128 chars. */
export const STEP_ID_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

const stepSchema = z.object({
  id: z.string().regex(STEP_ID_RE, {
    error: "expected 1-32 letters, digits, _ or - starting with a letter",
  }),
  topic: z.string().min(1),
  depends_on: z.array(z.string()).max(MAX_PLAN_STEPS).default([]),
  input: z.record(z.string(), z.unknown()).default({}),
});

/** Unknown keys (a model's "description", "reason") are dropped, not errors. */
export const planSchema = z.object({
  steps: z.array(stepSchema).min(1, { error: "a plan needs at least one step" }).max(MAX_PLAN_STEPS),
});

/**
 * The JSON schema handed to the model as its output format, restricted to `allowedTopics`.
 * Hand-written (not generated) so the model sees exactly this, enum included.
 */
export function planJsonSchema(allowedTopics: readonly string[]): Record<string, unknown> {
  return {
    type: "object",
    properties: {
      steps: {
        type: "array",
        minItems: 1,
        maxItems: MAX_PLAN_STEPS,
        items: {
          type: "object",
          properties: {
            id: { type: "string", pattern: STEP_ID_RE.source },
            topic: { type: "string", enum: [...allowedTopics] },
            depends_on: { type: "array", items: { type: "string" } },
            input: { type: "object" },
          },
          required: ["id", "topic", "depends_on", "input"],
        },
      },
    },
    required: ["steps"],
  };
}

export type PlanProblemCode =
  | "invalid_shape"
  | "duplicate_step"
  | "unknown_dependency"
  | "cycle"
  | "topic_not_allowed"
  | "topic_not_routable"
  | "topic_denied"
  | "bad_reference";

export interface PlanProblem {
  code: PlanProblemCode;
  /** The step the problem is about, when there is one. */
  step?: string;
  message: string;
}

export type PlanCheck = { ok: true; plan: Plan } | { ok: false; problems: PlanProblem[] };

export interface PlanRules {
  /** Topics (or NATS-style patterns) a step may use. */
  allowedTopics: readonly string[];
  /** Has a pool (pools.yaml); omitted = every topic is routable. */
  isRoutable?: (topic: string) => boolean;
}

export function isTopicAllowed(allowed: readonly string[], topic: string): boolean {
  return allowed.some((p) => p === topic || matchesSubject(p, topic));
}

/** Every structural problem of `candidate` (all of them, so a rejection can say everything at once). */
export function checkPlan(candidate: unknown, rules: PlanRules): PlanCheck {
  const parsed = planSchema.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({
        code: "invalid_shape",
        message: `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`,
      })),
    };
  }
  const plan: Plan = parsed.data;
  const problems: PlanProblem[] = [];
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) {
      problems.push({ code: "duplicate_step", step: step.id, message: `step id "${step.id}" is used twice` });
    }
    ids.add(step.id);
  }
  for (const step of plan.steps) {
    if (!isTopicAllowed(rules.allowedTopics, step.topic)) {
      problems.push({
        code: "topic_not_allowed",
        step: step.id,
        message: `step "${step.id}": topic ${step.topic} is not in the workflow allow-list (${rules.allowedTopics.join(", ")})`,
      });
    } else if (rules.isRoutable && !rules.isRoutable(step.topic)) {
      problems.push({
        code: "topic_not_routable",
        step: step.id,
        message: `step "${step.id}": no pool serves topic ${step.topic} (config/pools.yaml)`,
      });
    }
    for (const dep of step.depends_on) {
      if (!ids.has(dep)) {
        problems.push({
          code: "unknown_dependency",
          step: step.id,
          message: `step "${step.id}" depends on "${dep}", which is not a step of the plan`,
        });
      }
    }
    for (const ref of templateReferences(step.input)) {
      const problem = referenceProblem(step, ref);
      if (problem) problems.push({ code: "bad_reference", step: step.id, message: problem });
    }
  }
  const cyclic = stepsInCycles(plan);
  if (cyclic.length > 0) {
    problems.push({
      code: "cycle",
      step: cyclic[0],
      message: `steps ${cyclic.map((s) => `"${s}"`).join(", ")} depend on each other in a cycle`,
    });
  }
  return problems.length === 0 ? { ok: true, plan } : { ok: false, problems };
}

/** Steps that can never start because they sit on (or behind) a dependency cycle; [] = a DAG. */
export function stepsInCycles(plan: Plan): string[] {
  const ids = new Set(plan.steps.map((s) => s.id));
  const waiting = new Map(plan.steps.map((s) => [s.id, new Set(s.depends_on.filter((d) => ids.has(d)))]));
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const [id, deps] of waiting) {
      if (deps.size > 0) continue;
      waiting.delete(id);
      for (const other of waiting.values()) other.delete(id);
      progressed = true;
    }
  }
  return [...waiting.keys()];
}

/** One plan summary line per problem, e.g. for a fallback reason. */
export function describeProblems(problems: readonly PlanProblem[]): string {
  return problems.map((p) => p.message).join("; ");
}

// ---- templates: "{{workflow.instruction}}", "{{steps.patch.patch.content}}" ----

const TEMPLATE_RE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE_TEMPLATE_RE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

/** Every reference made by the strings inside `value`, e.g. "steps.patch.patch.content". */
export function templateReferences(value: unknown): string[] {
  if (typeof value === "string") return [...value.matchAll(TEMPLATE_RE)].map((m) => m[1] ?? "");
  if (Array.isArray(value)) return value.flatMap(templateReferences);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(templateReferences);
  return [];
}

function referenceProblem(step: PlanStep, ref: string): string | undefined {
  const [scope, name] = ref.split(".");
  if (scope === "workflow" && name) return undefined;
  if (scope === "steps" && name) {
    return step.depends_on.includes(name)
      ? undefined
      : `step "${step.id}" refers to {{${ref}}} but does not depend on "${name}"`;
  }
  return `step "${step.id}": {{${ref}}} is not a reference (use {{workflow.<key>}} or {{steps.<id>.<path>}})`;
}

export interface TemplateScope {
  /** The workflow's own inputs (file_path, code_snippet, instruction, ...). */
  workflow: Record<string, unknown>;
  /** Results of finished steps, by step id. */
  steps: Record<string, unknown>;
}

function lookup(scope: TemplateScope, ref: string): unknown {
  const [head, ...path] = ref.split(".");
  let value: unknown = head === "workflow" ? scope.workflow : head === "steps" ? scope.steps : undefined;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const asText = (value: unknown): string =>
  value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);

/**
 * Resolves templates in every string of `value`. A string that is exactly one template takes
 * the referenced value as is (an object stays an object); otherwise references are spliced
 * in as text. A missing value resolves to "" (or undefined for a whole-string template).
 */
export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_TEMPLATE_RE.exec(value);
    if (whole?.[1]) return lookup(scope, whole[1]);
    return value.replace(TEMPLATE_RE, (_, ref: string) => asText(lookup(scope, ref)));
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTemplates(v, scope)]));
  }
  return value;
}

// ---- the default plan ----

export const DEFAULT_EXPLAIN_TOPIC = JobTopics.chatAdvanced;

export const DEFAULT_EXPLAIN_PROMPT = [
  "A code change was made to {{workflow.file_path}} following this instruction:",
  "{{workflow.instruction}}",
  "",
  "Here is the change as a unified diff:",
  "{{steps.patch.patch.content}}",
  "",
  "Explain in a few sentences what the change does and why it satisfies the instruction.",
].join("\n");

/** `patch` (job.code.llm) then `explain` (job.chat.advanced or job.chat.simple), prompted with the patch. */
export function defaultPlan(explainTopic: string = DEFAULT_EXPLAIN_TOPIC): Plan {
  return {
    steps: [
      { id: "patch", topic: JobTopics.codeLlm, depends_on: [], input: {} },
      {
        id: "explain",
        topic: explainTopic,
        depends_on: ["patch"],
        input: { prompt: DEFAULT_EXPLAIN_PROMPT },
      },
    ],
  };
}

// ---- child job ids: deterministic, so a redelivered orchestrator reuses what it submitted ----

const MAX_JOB_ID = 128;
/** "-s-" + 32-char step id + "-" + attempt digits. */
const CHILD_SUFFIX_MAX = 3 + 32 + 1 + 3;

function childBase(parentJobId: string): string {
  if (parentJobId.length + CHILD_SUFFIX_MAX <= MAX_JOB_ID) return parentJobId;
  return createHash("sha256").update(parentJobId).digest("hex").slice(0, 40);
}

export function stepJobId(parentJobId: string, stepId: string, attempt: number): string {
  return `${childBase(parentJobId)}-s-${stepId}-${attempt}`;
}

export function plannerJobId(parentJobId: string, attempt: number): string {
  return `${childBase(parentJobId)}-plan-${attempt}`;
}

/** The step and attempt of a child job id made by stepJobId, or undefined. */
export function parseStepJobId(
  parentJobId: string,
  jobId: string,
): { stepId: string; attempt: number } | undefined {
  const prefix = `${childBase(parentJobId)}-s-`;
  if (!jobId.startsWith(prefix)) return undefined;
  const m = /^(.+)-([0-9]+)$/.exec(jobId.slice(prefix.length));
  if (!m?.[1] || !m[2]) return undefined;
  return { stepId: m[1], attempt: Number(m[2]) };
}
