/**
 * Follows one job to a terminal state for `--wait` callers: WatchEvents for the job, a
 * GetJob once the watch is registered (so a job that finished before the watch began is
 * not missed), and polling GetJob when the stream is not available.
 */
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { isJobState, isTerminal } from "../core/states.js";
import type { GetJobResponse, JobEvent, JobInfo } from "../gen/cortex/v1/api.js";
import type { GatewayClient } from "./gateway-types.js";

export const WAIT_POLL_INTERVAL_MS = 200;

export interface WaitForJobOptions {
  /** Give up after this long (WAIT_TIMEOUT); default: wait indefinitely. */
  timeoutMs?: number;
  /** Called on every state change seen, with the event when it came from the stream. */
  onState?: (state: string, event?: JobEvent) => void;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export interface WaitForJobResult {
  job: JobInfo;
  /** The parsed result document (res:<id>), when there is one. */
  result: unknown;
  resultJson: string;
}

const terminal = (state: string): boolean => isJobState(state) && isTerminal(state);

function finished(res: GetJobResponse): WaitForJobResult | undefined {
  if (res.job === undefined || !terminal(res.job.state)) return undefined;
  let result: unknown;
  try {
    result = res.resultJson === "" ? undefined : JSON.parse(res.resultJson);
  } catch {
    result = res.resultJson;
  }
  return { job: res.job, result, resultJson: res.resultJson };
}

export async function waitForJob(
  client: GatewayClient,
  jobId: string,
  opts: WaitForJobOptions = {},
): Promise<WaitForJobResult> {
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs;
  const pollMs = opts.pollIntervalMs ?? WAIT_POLL_INTERVAL_MS;
  let lastState: string | undefined;
  const report = (state: string, ev?: JobEvent) => {
    if (state === "" || state === lastState) return;
    lastState = state;
    opts.onState?.(state, ev);
  };
  const timedOut = () =>
    new CortexError(
      ErrorCode.WaitTimeout,
      `job ${jobId} is still ${lastState ?? "pending"} after ${opts.timeoutMs} ms`,
      {
        hint: `It keeps running; check it later with \`cortex job ${jobId}\`.`,
        details: { jobId, state: lastState },
      },
    );
  const check = async (): Promise<WaitForJobResult | undefined> => {
    const res = await client.getJob(jobId, { includeResult: true });
    if (res.job) report(res.job.state);
    return finished(res);
  };

  const streamed = await followStream(client, jobId, deadline, opts.signal, check, report);
  if (streamed.done) return streamed.done;
  if (streamed.timedOut) throw timedOut();

  // The stream is unavailable (older gateway, proxy, restart): poll until done.
  for (;;) {
    opts.signal?.throwIfAborted();
    const done = await check();
    if (done) return done;
    const left = deadline - Date.now();
    if (left <= 0) throw timedOut();
    await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
  }
}

interface StreamOutcome {
  done?: WaitForJobResult;
  timedOut?: boolean;
}

async function followStream(
  client: GatewayClient,
  jobId: string,
  deadline: number,
  signal: AbortSignal | undefined,
  check: () => Promise<WaitForJobResult | undefined>,
  report: (state: string, ev?: JobEvent) => void,
): Promise<StreamOutcome> {
  // The gateway sends the job's history, then live events, and ends the stream after the
  // terminal one: no call is ever cancelled on the happy path (many client-side cancels in
  // a row trip HTTP/2 rapid-reset protection and close the whole connection).
  const stream = client.watchEvents({ jobId, untilTerminal: true, backfill: 1000 }, signal ? { signal } : {});
  let ended = false;
  let timedOut = false;
  const timer = Number.isFinite(deadline)
    ? setTimeout(
        () => {
          timedOut = true;
          stream.cancel();
        },
        Math.max(0, deadline - Date.now()),
      )
    : undefined;
  try {
    await stream.ready;
    for await (const ev of stream) {
      // A gap in the stream: ask for the state instead of trusting the events.
      if (ev.kind === "dropped") {
        const done = await check();
        if (done) return { done };
        continue;
      }
      if (ev.to !== "") report(ev.to, ev);
    }
    ended = true;
    if (timedOut) return { timedOut };
    const done = await check();
    return done ? { done } : { timedOut };
  } catch (err) {
    // The job does not exist, or the caller gave up: no point in polling.
    if (isCortexError(err, ErrorCode.JobNotFound) || signal?.aborted) throw err;
    return { timedOut };
  } finally {
    clearTimeout(timer);
    if (!ended) stream.cancel();
  }
}
