/**
 * Submit a job and wait for its result with one SubmitAndWatch call (instead of SubmitJob +
 * WatchEvents + GetJob). The job's info is built from the events the stream carried; a
 * gateway without SubmitAndWatch gets the older three calls.
 */
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { EventKind } from "../core/event-kinds.js";
import { isJobState, isTerminal, JobState } from "../core/states.js";
import { type JobEvent, JobInfo, type SubmitJobResponse } from "../gen/cortex/v1/api.js";
import type { GatewayClient, SubmitJobInput, SubmitMany } from "./gateway-types.js";
import { isUnimplemented } from "./grpc-error.js";
import { isRetryableSubmitError, withClientIds } from "./submit-retry.js";
import { type WaitForJobOptions, type WaitForJobResult, waitForJob } from "./wait-for-job.js";

export interface SubmitAndWaitOptions extends WaitForJobOptions {
  /** Called once the job is accepted, before any of its states. */
  onSubmitted?: (sub: SubmitJobResponse) => void;
  /** Submit on this shared stream (client.submitMany()) instead of a call of its own. */
  many?: SubmitMany;
  /** The job's progress (tokens, notes) as the stream carries it; the fallback path has none. */
  onProgress?: (ev: JobEvent) => void;
}

const terminal = (state: string): boolean => isJobState(state) && isTerminal(state);

export async function submitAndWait(
  client: GatewayClient,
  given: SubmitJobInput,
  opts: SubmitAndWaitOptions = {},
): Promise<WaitForJobResult> {
  // ids made here, so a submit retried after a lost answer names the same job
  const req = withClientIds(given);
  const started = Date.now();
  const remaining = (): number | undefined =>
    opts.timeoutMs === undefined ? undefined : Math.max(0, opts.timeoutMs - (Date.now() - started));
  const waitOpts = (): WaitForJobOptions => {
    const left = remaining();
    return { ...opts, ...(left === undefined ? {} : { timeoutMs: left }) };
  };

  const watchOpts = opts.signal ? { signal: opts.signal } : {};
  const stream = opts.many ? opts.many.submit(req, watchOpts) : client.submitAndWatch(req, watchOpts);
  let submitted: JobEvent | undefined;
  let lastState: string | undefined;
  let timedOut = false;
  let ended = false;
  let done: WaitForJobResult | undefined;
  const info = JobInfo.fromPartial({
    topic: req.topic,
    priority: req.priority ?? "",
    parentJobId: req.parentJobId ?? "",
    workflowId: req.workflowId ?? "",
    stepIndex: req.stepIndex ?? 0,
    adapterId: req.adapterId ?? "",
  });
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stream.cancel();
        }, opts.timeoutMs);
  try {
    for await (const ev of stream) {
      if (ev.kind === EventKind.Submitted) {
        submitted = ev;
        Object.assign(info, {
          jobId: ev.jobId,
          traceId: ev.traceId,
          tenant: ev.tenant,
          createdAtMs: ev.atMs,
        });
        info.state = JobState.Pending;
        opts.onSubmitted?.({ jobId: ev.jobId, traceId: ev.traceId });
        // Every job starts PENDING; the stream carries only the changes after it.
        lastState = JobState.Pending;
        opts.onState?.(JobState.Pending);
        continue;
      }
      if (ev.to === "") {
        // progress, dropped markers: the gateway settles the end
        if (ev.text !== "" && ev.kind !== EventKind.Dropped) opts.onProgress?.(ev);
        continue;
      }
      applyEvent(info, ev);
      if (ev.to !== lastState) {
        lastState = ev.to;
        opts.onState?.(ev.to, ev);
      }
      // Read on to the end the gateway sends right after: leaving the loop would cancel the
      // call, and many cancels in a row trip HTTP/2 rapid-reset protection on the connection.
      if (terminal(ev.to))
        done = { job: info, result: parseResult(ev.resultJson), resultJson: ev.resultJson };
    }
    ended = true;
    if (done !== undefined) return await withResult(client, done);
  } catch (err) {
    ended = true;
    if (done !== undefined) return await withResult(client, done);
    if (submitted === undefined && (isUnimplemented(err) || isRetryableSubmitError(err))) {
      // An older gateway, or no answer yet: the three calls (SubmitJob retries with the same ids).
      const sub = await client.submitJob(req);
      opts.onSubmitted?.(sub);
      return waitForJob(client, sub.jobId, waitOpts());
    }
    if (submitted === undefined || isCortexError(err, ErrorCode.JobNotFound) || opts.signal?.aborted)
      throw err;
  } finally {
    clearTimeout(timer);
    if (!ended) stream.cancel();
  }
  if (timedOut) {
    const jobId = submitted?.jobId ?? req.jobId ?? "";
    throw new CortexError(
      ErrorCode.WaitTimeout,
      `job ${jobId} is still ${lastState ?? "pending"} after ${opts.timeoutMs} ms`,
      {
        hint: `It keeps running; check it later with \`cortex job ${jobId}\`.`,
        details: { jobId, state: lastState },
      },
    );
  }
  if (submitted === undefined)
    throw new CortexError(ErrorCode.Internal, "the gateway ended SubmitAndWatch before accepting the job", {
      hint: "Retry; if it persists, see the daemon log (`cortex logs`).",
    });
  // The stream broke off after the submit (gateway restart, proxy): follow the job the old way.
  return waitForJob(client, submitted.jobId, waitOpts());
}

/** A result too large to ride on the terminal event is read with GetJob. */
async function withResult(client: GatewayClient, done: WaitForJobResult): Promise<WaitForJobResult> {
  if (done.resultJson !== "" || done.job.state !== JobState.Succeeded) return done;
  const res = await client.getJob(done.job.jobId, { includeResult: true });
  return { job: done.job, result: parseResult(res.resultJson), resultJson: res.resultJson };
}

function applyEvent(info: JobInfo, ev: JobEvent): void {
  info.state = ev.to;
  info.updatedAtMs = ev.atMs;
  if (ev.attempt > info.attempts) info.attempts = ev.attempt;
  if (ev.workerId !== "") info.workerId = ev.workerId;
  if (ev.reason !== "") info.reason = ev.reason;
  if (ev.to === JobState.Scheduled) info.scheduledAtMs = ev.atMs;
  else if (ev.to === JobState.Dispatched) info.dispatchedAtMs = ev.atMs;
  else if (ev.to === JobState.Running) info.startedAtMs = ev.atMs;
  else if (terminal(ev.to)) info.finishedAtMs = ev.atMs;
}

function parseResult(json: string): unknown {
  if (json === "") return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
