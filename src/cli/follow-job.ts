/**
 * `--wait` for commands that submit one job and follow it: state changes on stderr, the
 * job's progress (LLM tokens) live as they arrive, then the outcome. With `--json` nothing
 * is printed here at all, so stdout holds only the final JSON document.
 *
 * Progress is not stored, so a watch opened after the submit would miss the first tokens
 * of a fast job. submitAndFollow therefore picks the job and trace ids itself, opens a
 * watch on the trace before submitting, and follows the states with waitForJob.
 */
import { Flags } from "@oclif/core";
import ansis from "ansis";
import type { GatewayClient, SubmitJobInput } from "../client/gateway-client.js";
import type { SubmitResult } from "../client/json-shapes.js";
import { type WaitForJobResult, waitForJob } from "../client/wait-for-job.js";
import { newJobId, newTraceId } from "../core/ids.js";
import type { JobEvent, SubmitJobResponse } from "../gen/cortex/v1/api.js";
import { ExitCode } from "./exit-codes.js";
import { followedTransition } from "./print-job.js";
import { explainWaiting, onInterrupt } from "./waiting-hints.js";

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
  timeoutMs: number;
  /** --json: print nothing while following (and skip the progress watch). */
  quiet: boolean;
  tokens: TokenSink;
  /** Turns the streamed tokens into what is printed (a new decoder per attempt); default: as is. */
  tokenText?: () => (chunk: string) => string;
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
export type SubmittedJob = SubmitResult;

/**
 * Prints a followed job: state lines on stderr, tokens on their sink. A state line that
 * comes while the answer is mid-line waits for the line's end, so piped stdout holds the
 * answer exactly as the model wrote it and a terminal never shows a sentence cut in two.
 */
class LivePrinter {
  streamed = "";
  progressEvents = 0;
  private attempt = 0;
  /** True while the token stream is mid-line. */
  private openLine = false;
  private readonly held: string[] = [];
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly tokenOut: NodeJS.WritableStream | undefined;
  private decode: (chunk: string) => string;

  constructor(private readonly opts: FollowJobOptions) {
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.tokenOut =
      opts.tokens === "stdout" ? this.stdout : opts.tokens === "stderr" ? this.stderr : undefined;
    this.decode = opts.tokenText?.() ?? ((chunk) => chunk);
  }

  info(line: string): void {
    if (this.opts.quiet) return;
    if (this.openLine) this.held.push(line);
    else this.stderr.write(`${line}\n`);
  }

  state(state: string, e?: JobEvent): void {
    this.info(`  ${followedTransition(state, e)}`);
  }

  progress(ev: JobEvent): void {
    this.progressEvents += 1;
    if (ev.kind !== "token") {
      this.info(`  ${ansis.dim(ev.text)}`);
      return;
    }
    // A retry streams its answer from the start again.
    if (ev.attempt !== this.attempt) {
      if (this.attempt !== 0) {
        this.endLine();
        this.info(ansis.dim(`  (attempt ${ev.attempt} starts over)`));
      }
      this.attempt = ev.attempt;
      this.streamed = "";
      this.decode = this.opts.tokenText?.() ?? ((chunk) => chunk);
    }
    this.streamed += ev.text;
    if (this.opts.quiet || !this.tokenOut) return;
    const text = this.decode(ev.text);
    if (text === "") return;
    this.tokenOut.write(this.opts.tokens === "stderr" ? ansis.dim(text) : text);
    this.openLine = !text.endsWith("\n");
    if (!this.openLine) this.flushHeld();
  }

  /** Ends the answer's line (if open) and prints the state lines that waited for it. */
  endLine(): void {
    if (this.openLine) this.tokenOut?.write("\n");
    this.openLine = false;
    this.flushHeld();
  }

  private flushHeld(): void {
    for (const line of this.held.splice(0)) this.stderr.write(`${line}\n`);
  }
}

/** Live progress of one job, from a watch on its trace; best effort (no watch, no live tokens). */
async function watchProgress(
  client: GatewayClient,
  traceId: string,
  jobId: string,
  onProgress: (ev: JobEvent) => void,
): Promise<{ stop(): Promise<void> }> {
  const stream = client.watchEvents({ traceId });
  try {
    await stream.ready;
  } catch {
    // The submit that follows reports an unreachable stack; a refused watch only costs the live view.
    stream.cancel();
    return { stop: async () => undefined };
  }
  const loop = (async () => {
    try {
      for await (const ev of stream) {
        if (ev.jobId === jobId && ev.to === "" && ev.kind !== "state" && ev.text !== "") onProgress(ev);
      }
    } catch {
      // stream ended or cancelled: the states and the result come from waitForJob
    }
  })();
  return {
    async stop() {
      stream.cancel();
      await loop;
    },
  };
}

/**
 * Submits `req` and follows the job to its end, printing as it goes (unless quiet).
 * Job and trace ids are chosen here unless `req` has them, so the progress watch is live
 * before the job exists.
 */
export async function submitAndFollow(
  client: GatewayClient,
  req: SubmitJobInput,
  opts: FollowJobOptions,
): Promise<{ submitted: SubmitJobResponse; done: FollowedJob }> {
  const jobId = req.jobId || newJobId();
  const traceId = req.traceId || newTraceId();
  const printer = new LivePrinter(opts);
  const progress = opts.quiet
    ? undefined
    : await watchProgress(client, traceId, jobId, (ev) => printer.progress(ev));
  const stopInterruptHint = onInterrupt(
    () => jobId,
    opts.stderr ?? process.stderr,
    () => printer.endLine(),
  );
  let waiting: { stop(): Promise<void> } | undefined;
  try {
    const submitted = await client.submitJob({ ...req, jobId, traceId });
    printer.info(`${ansis.dim("job")} ${submitted.jobId} ${ansis.dim(`(${req.topic})`)}`);
    if (!opts.quiet)
      waiting = explainWaiting(client, submitted.jobId, (why) => printer.info(`  ${ansis.yellow(why)}`));
    const done = await waitForJob(client, submitted.jobId, {
      timeoutMs: opts.timeoutMs,
      onState: (state, e) => printer.state(state, e),
    });
    printer.endLine();
    return {
      submitted,
      done: { ...done, streamed: printer.streamed, progressEvents: printer.progressEvents },
    };
  } finally {
    stopInterruptHint();
    await waiting?.stop();
    await progress?.stop();
  }
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
