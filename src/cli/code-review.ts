/**
 * `cortex submit code-review` and `cortex submit workflow`: send a file and an instruction
 * to the orchestrator (`job.workflow.demo`), follow its steps live, then print the patch
 * (coloured on a terminal, plain when piped) and the explanation. `--out` saves the patch,
 * `--apply` applies it once it is sure the file has not changed since it was read.
 */
import { Flags } from "@oclif/core";
import ansis from "ansis";
import type { GatewayClient } from "../client/gateway-client.js";
import type { EventStream } from "../client/gateway-types.js";
import { type WaitForJobResult, waitForJob } from "../client/wait-for-job.js";
import { newJobId, newTraceId } from "../core/ids.js";
import { parseStepJobId, plannerJobId } from "../core/plan.js";
import { isJobState, isTerminal } from "../core/states.js";
import { JobTopics } from "../core/subjects.js";
import { applyReviewedPatch } from "./apply-patch.js";
import { type CommandIo, codeJobContext, deliverPatch, type PatchResult, unifiedDiffOf } from "./code-job.js";
import { followFlags, reportOutcome, type SubmittedJob, submittedJob } from "./follow-job.js";
import { gatewayFromEnv } from "./gateway.js";
import { describeTransition } from "./print-job.js";

export const WORKFLOW_TOPIC = JobTopics.workflowDemo;

/** Long enough for the shipped workflow's 600 s total timeout. */
const DEFAULT_WAIT_S = 660;

export const codeReviewFlags = {
  file: Flags.string({ char: "f", description: "source file to review and change", required: true }),
  instruction: Flags.string({ char: "i", description: "what to change", required: true }),
  language: Flags.string({ char: "l", description: "language of the file (default: from its extension)" }),
  out: Flags.string({ char: "o", description: "write the patch to this file (implies --wait)" }),
  apply: Flags.boolean({
    description: "apply the patch to --file, unless the file changed meanwhile (implies --wait)",
  }),
  ...followFlags(DEFAULT_WAIT_S),
};

/**
 * Long flags the original scripts spelled with one dash (`-file x -instruction y`); bin/run.cjs
 * turns them into `--file`… before oclif parses. Derived from the flags, so they never drift.
 */
export const CODE_REVIEW_LONG_FLAGS: readonly string[] = [...Object.keys(codeReviewFlags), "json"];

export interface CodeReviewFlags {
  file: string;
  instruction: string;
  language?: string | undefined;
  out?: string | undefined;
  apply: boolean;
  wait: boolean;
  timeout: number;
  tenant?: string | undefined;
  priority: string;
}

/** The `--json` document: the submitted job, its result document and what was done with the patch. */
export interface CodeReviewOutput extends SubmittedJob {
  patch_file?: string;
  applied?: boolean;
}

export type { CommandIo } from "./code-job.js";

interface ReviewResult extends PatchResult {
  original_code?: unknown;
  explanation?: unknown;
  plan_source?: unknown;
  plan_reason?: unknown;
  steps?: { id?: unknown; state?: unknown; attempts?: unknown; job_id?: unknown }[];
}

export async function runCodeReview(io: CommandIo, flags: CodeReviewFlags): Promise<CodeReviewOutput> {
  const { code, context } = await codeJobContext(flags);
  const human = !io.jsonEnabled();
  const client = await gatewayFromEnv();
  try {
    const following = flags.wait || flags.out !== undefined || flags.apply;
    const ids = { jobId: newJobId(), traceId: newTraceId() };
    // Progress notes (the plan line) are streamed, never stored: the trace is watched before
    // the submit, so none is sent before the watch is there.
    const steps =
      following && human ? client.watchEvents({ traceId: ids.traceId, backfill: 1000 }) : undefined;
    await steps?.ready.catch(() => undefined);
    const sub = await client.submitJob({
      ...ids,
      topic: WORKFLOW_TOPIC,
      contextJson: JSON.stringify(context),
      priority: flags.priority,
      tenant: flags.tenant ?? "",
    });
    const base: SubmittedJob = { job_id: sub.jobId, trace_id: sub.traceId, topic: WORKFLOW_TOPIC };
    if (!following) {
      if (human) io.log(sub.jobId);
      return base;
    }
    const done = await followWorkflow(client, sub, {
      ...(steps ? { steps } : {}),
      timeoutMs: flags.timeout * 1000,
      print: human ? (line) => io.logToStderr(line) : undefined,
    });
    const out: CodeReviewOutput = submittedJob(base, done);
    const result = (done.result ?? {}) as ReviewResult;
    if (!reportOutcome(done, !human)) {
      if (human) printSteps(io, result);
      return out;
    }
    const patch = unifiedDiffOf(result, {
      message: `workflow ${sub.jobId} succeeded without a unified diff`,
      hint: `Inspect its steps with \`cortex job ${sub.jobId}\`.`,
    });
    const explanation = typeof result.explanation === "string" ? result.explanation : "";
    Object.assign(
      out,
      await deliverPatch(io, patch, {
        out: flags.out,
        human,
        note: explanation === "" ? undefined : `\n${ansis.bold("Explanation")}\n${explanation.trim()}`,
      }),
    );
    if (flags.apply) {
      const original = typeof result.original_code === "string" ? result.original_code : code;
      await applyReviewedPatch(flags.file, patch, original);
      out.applied = true;
      if (human) io.logToStderr(ansis.green(`applied to ${flags.file}`));
    }
    return out;
  } finally {
    client.close();
  }
}

function printSteps(io: CommandIo, result: ReviewResult): void {
  for (const step of result.steps ?? []) {
    const attempts =
      typeof step.attempts === "number" && step.attempts > 1 ? ` (${step.attempts} attempts)` : "";
    io.logToStderr(
      `  ${String(step.id).padEnd(10)} ${String(step.state)}${attempts} ${ansis.dim(String(step.job_id))}`,
    );
  }
}

export interface FollowWorkflowOptions {
  timeoutMs: number;
  /** Where live lines go; undefined = follow silently (--json). */
  print?: ((line: string) => void) | undefined;
  /** The workflow's trace, already watched (opened before the submit); opened here otherwise. */
  steps?: EventStream;
}

/** How long to let the step stream catch up after the parent ended, so no final step line is cut. */
const STEP_STREAM_CATCH_UP_MS = 1_000;

/**
 * Follows the parent job to its end while a second stream, on the workflow's trace, shows
 * each child (planner and steps) moving through its states.
 */
export async function followWorkflow(
  client: GatewayClient,
  parent: { jobId: string; traceId: string },
  opts: FollowWorkflowOptions,
): Promise<WaitForJobResult> {
  const print = opts.print;
  const stepName = (jobId: string): string | undefined =>
    jobId === plannerJobId(parent.jobId, 1) ? "plan" : parseStepJobId(parent.jobId, jobId)?.stepId;
  print?.(`${ansis.dim("workflow")} ${parent.jobId} ${ansis.dim(`(${WORKFLOW_TOPIC})`)}`);

  let parentEnded: () => void = () => undefined;
  const parentEndSeen = new Promise<void>((r) => {
    parentEnded = r;
  });
  const steps = print
    ? (opts.steps ?? client.watchEvents({ traceId: parent.traceId, backfill: 1000 }))
    : undefined;
  const stepLines = (async () => {
    if (!steps || !print) return;
    for await (const ev of steps) {
      if (ev.jobId === parent.jobId && ev.kind === "progress") {
        // The orchestrator's notes (batched, several lines at once); the plan line says which plan runs and why.
        for (const line of ev.text.split("\n")) if (line.startsWith("plan (")) print(`  ${ansis.dim(line)}`);
        continue;
      }
      if (ev.kind !== "state" || ev.to === "") continue;
      if (ev.jobId === parent.jobId) {
        if (isJobState(ev.to) && isTerminal(ev.to)) parentEnded();
        continue;
      }
      const name = stepName(ev.jobId);
      if (name === undefined) continue;
      print(`  ${ansis.bold(name.padEnd(10))} ${ansis.dim(ev.topic.padEnd(18))} ${describeTransition(ev)}`);
    }
  })().catch(() => undefined);

  try {
    return await waitForJob(client, parent.jobId, {
      timeoutMs: opts.timeoutMs,
      onState: (state, e) =>
        print?.(
          `  ${"workflow".padEnd(10)} ${ansis.dim(WORKFLOW_TOPIC.padEnd(18))} ${describeTransition(e ?? { to: state, workerId: "", reason: "", attempt: 0 })}`,
        ),
    });
  } finally {
    if (steps) {
      await Promise.race([parentEndSeen, new Promise((r) => setTimeout(r, STEP_STREAM_CATCH_UP_MS).unref())]);
      steps.cancel();
      await stepLines;
    }
  }
}
