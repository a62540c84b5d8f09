/**
 * The workflow's input (the parent's context) and its result document at res:<parent>:
 * `{file_path, original_code, instruction, patch: {type, content}, explanation,
 * workflow_id, plan_source, steps}`.
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import type { PlanSource } from "../../core/plan.js";
import type { StepReport } from "./run-plan.js";

export interface WorkflowInputs extends Record<string, unknown> {
  file_path: string;
  code_snippet: string;
  instruction: string;
}

/** The parent's context: `{file_path, code_snippet, instruction}` (other keys pass through to steps). */
export function workflowInputs(context: Record<string, unknown>): WorkflowInputs {
  const { code_snippet, instruction, file_path } = context;
  if (typeof code_snippet !== "string") {
    throw new CortexError(ErrorCode.InvalidArgument, "the workflow context has no code_snippet", {
      hint: 'Submit {"file_path": "...", "code_snippet": "...", "instruction": "..."}, e.g. with `cortex submit code-review`.',
    });
  }
  if (typeof instruction !== "string" || instruction.trim() === "") {
    throw new CortexError(ErrorCode.InvalidArgument, "the workflow context has no instruction", {
      hint: "Say what to change in an `instruction` string.",
    });
  }
  return {
    ...context,
    file_path: typeof file_path === "string" && file_path !== "" ? file_path : "snippet",
    code_snippet,
    instruction,
  };
}

export interface PatchDoc {
  type: string;
  content: string;
}

export interface WorkflowResult {
  job_id: string;
  processed_by: string;
  workflow_id: string;
  file_path: string;
  original_code: string;
  instruction: string;
  patch: PatchDoc;
  explanation: string;
  plan_source: PlanSource;
  /** Why the default plan was used (absent for a model plan). */
  plan_reason?: string;
  steps: StepReport[];
  completed_at: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function patchOf(result: unknown): PatchDoc | undefined {
  const patch = isObject(result) ? result.patch : undefined;
  if (isObject(patch) && typeof patch.type === "string" && typeof patch.content === "string") {
    return { type: patch.type, content: patch.content };
  }
  return undefined;
}

/**
 * The patch is the `patch` step's (else the last step's that returned one); the explanation
 * is the `explain` step's response (else the last step's response).
 */
export function workflowResult(args: {
  jobId: string;
  workerId: string;
  workflowId: string;
  inputs: WorkflowInputs;
  planSource: PlanSource;
  planReason: string | undefined;
  steps: StepReport[];
  results: Record<string, unknown>;
}): WorkflowResult {
  const ordered = args.steps.map((s) => args.results[s.id]);
  const patchStep = args.results.patch;
  const patch = patchOf(patchStep) ?? ordered.map(patchOf).findLast((p) => p !== undefined);
  const patchSource = patchOf(patchStep) ? patchStep : ordered.findLast((r) => patchOf(r) !== undefined);
  const responseOf = (r: unknown) => (isObject(r) && typeof r.response === "string" ? r.response : undefined);
  const explanation =
    responseOf(args.results.explain) ?? ordered.map(responseOf).findLast((r) => r !== undefined);
  const original =
    isObject(patchSource) && typeof patchSource.original_code === "string"
      ? patchSource.original_code
      : args.inputs.code_snippet;
  return {
    job_id: args.jobId,
    processed_by: args.workerId,
    workflow_id: args.workflowId,
    file_path: args.inputs.file_path,
    original_code: original,
    instruction: args.inputs.instruction,
    patch: patch ?? { type: "none", content: "" },
    explanation: explanation ?? "",
    plan_source: args.planSource,
    ...(args.planReason === undefined ? {} : { plan_reason: args.planReason }),
    steps: args.steps,
    completed_at: new Date().toISOString(),
  };
}
