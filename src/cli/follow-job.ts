/**
 * `--wait` for commands that submit one job and follow it: state changes on stderr, the
 * job's progress (LLM tokens) live as they arrive, then the outcome. With `--json` nothing
 * is printed here at all, so stdout holds only the final JSON document.
 */
import { Flags } from "@oclif/core";
import ansis from "ansis";
import type { GatewayClient } from "../client/gateway-client.js";
import { type WaitForJobResult, waitForJob } from "../client/wait-for-job.js";
import type { JobEvent } from "../gen/cortex/v1/api.js";
import { ExitCode } from "./exit-codes.js";
import { describeTransition } from "./print-job.js";

/** Flags every "submit one job and maybe follow it" command shares (seconds for --timeout). */
export function followFlags(defaultTimeoutS: number) {
  return {
    wait: Flags.boolean({ char: "w", description: "follow the job live and print its result" }),
    timeout: Flags.integer({ description: "seconds to wait with --wait", default: defaultTimeoutS, min: 1 }),
    tenant: Flags.string({ description: "tenant to submit as (default: the stack's default tenant)" }),
    priority: Flags.string({ description: "BATCH, INTERACTIVE or CRITICAL", default: "INTERACTIVE" }),
  };
}

/** Where live tokens go: stdout for text answers, stderr when stdout is kept for a result (a patch). */
export type TokenSink = "stdout" | "stderr" | "none";

export interface FollowJobOptions {
  topic: string;
  timeoutMs: number;
  /** --json: print nothing while following. */
  quiet: boolean;
  tokens: TokenSink;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface FollowedJob extends WaitForJobResult {
  /** Token text of the last attempt seen, as streamed. */
  streamed: string;
  /** Progress events received (all kinds, all attempts). */
  progressEvents: number;
}

/** The `--wait --json` document of a submit command (same shape as `cortex submit`). */
export interface SubmittedJob {
  job_id: string;
  trace_id: string;
  topic: string;
  state?: string;
  attempts?: number;
  reason?: string;
  worker_id?: string;
  result?: unknown;
}

export async function followJob(
  client: GatewayClient,
  jobId: string,
  opts: FollowJobOptions,
): Promise<FollowedJob> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const tokenOut = opts.tokens === "stdout" ? stdout : opts.tokens === "stderr" ? stderr : undefined;
  let streamed = "";
  let attempt = 0;
  let progressEvents = 0;
  /** True while the token stream is mid-line: a state line must start on a fresh one. */
  let openLine = false;
  const endLine = () => {
    if (openLine) tokenOut?.write("\n");
    openLine = false;
  };
  const info = (line: string) => {
    if (opts.quiet) return;
    endLine();
    stderr.write(`${line}\n`);
  };

  info(`${ansis.dim("job")} ${jobId} ${ansis.dim(`(${opts.topic})`)}`);
  const done = await waitForJob(client, jobId, {
    timeoutMs: opts.timeoutMs,
    onState: (state, e) =>
      info(`  ${describeTransition(e ?? { to: state, workerId: "", reason: "", attempt: 0 })}`),
    onProgress: (ev: JobEvent) => {
      progressEvents += 1;
      if (ev.kind !== "token") {
        info(`  ${ansis.dim(ev.text)}`);
        return;
      }
      // A retry streams its answer from the start again.
      if (ev.attempt !== attempt) {
        if (attempt !== 0) info(ansis.dim(`  (attempt ${ev.attempt} starts over)`));
        attempt = ev.attempt;
        streamed = "";
      }
      streamed += ev.text;
      if (opts.quiet || !tokenOut) return;
      tokenOut.write(opts.tokens === "stderr" ? ansis.dim(ev.text) : ev.text);
      openLine = !ev.text.endsWith("\n");
    },
  });
  endLine();
  return { ...done, streamed, progressEvents };
}

/** The `--json` document for a followed job. */
export function submittedJob(base: SubmittedJob, done: WaitForJobResult): SubmittedJob {
  return {
    ...base,
    state: done.job.state,
    attempts: done.job.attempts,
    ...(done.job.reason ? { reason: done.job.reason } : {}),
    ...(done.job.workerId ? { worker_id: done.job.workerId } : {}),
    result: done.result,
  };
}

interface ErrorDocument {
  error?: { code?: unknown; message?: unknown; hint?: unknown };
}

/** The `error.hint` of a failed job's result document, when the worker gave one. */
export function resultHint(result: unknown): string | undefined {
  if (result === null || typeof result !== "object") return undefined;
  const hint = (result as ErrorDocument).error?.hint;
  return typeof hint === "string" && hint !== "" ? hint : undefined;
}

/**
 * Sets exit code 1 and prints why (state, reason, the worker's hint) when the job did not
 * succeed; true when it did.
 */
export function reportOutcome(
  done: WaitForJobResult,
  quiet: boolean,
  stderr: NodeJS.WritableStream = process.stderr,
): boolean {
  if (done.job.state === "SUCCEEDED") return true;
  process.exitCode = ExitCode.JobFailed;
  if (!quiet) {
    stderr.write(`${ansis.red(`job ${done.job.state}${done.job.reason ? `: ${done.job.reason}` : ""}`)}\n`);
    const hint = resultHint(done.result);
    if (hint) stderr.write(`${hint}\n`);
  }
  return false;
}
