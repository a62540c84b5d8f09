/**
 * SubmitAndWatch: submit one job and follow it to its end in a single call. The watcher
 * is registered before the job is published, so no event of it can be missed and no
 * history has to be read; the terminal event carries the result document when it is small
 * (larger ones are read with GetJob, so a stream never holds them).
 */
import type { Logger } from "pino";
import { EventKind } from "../../core/event-kinds.js";
import { isJobState, isTerminal } from "../../core/states.js";
import type { JobEvent, SubmitJobRequest } from "../../gen/cortex/v1/api.js";
import type { JobStore, NewJob } from "../../store/job-store.js";
import type { Principal } from "./auth.js";
import type { EventHub } from "./event-watch.js";
import { toJobEvent } from "./job-info.js";
import type { ByteBudget } from "./stream-budget.js";
import { adoptTraceparent, prepareSubmit, type SubmitDeps, tracedEnqueue } from "./submit-job.js";
import { shownId } from "./tenant-ids.js";
import { startWatch, type WatchSession, type WatchTransport } from "./watch-session.js";

export interface SubmitAndWatchDeps extends SubmitDeps {
  store: JobStore;
  hub: EventHub;
  logger: Logger;
  watchBufferSize: number;
  onDropped?: () => void;
  budget?: ByteBudget;
}

/**
 * Validates synchronously (throws INVALID_ARGUMENT / PERMISSION_DENIED before the stream
 * opens), then runs the watch. `transport.ready` is called once the job is enqueued.
 */
export function submitAndWatch(
  deps: SubmitAndWatchDeps,
  req: SubmitJobRequest,
  principal: Principal,
  transport: WatchTransport,
  traceparent = "",
): WatchSession {
  // Only what the watch needs is kept: the request and the prepared job carry the prompt and
  // context (up to the size limit), which must not live as long as the job runs.
  let prepared: NewJob | undefined = prepareSubmit(deps, adoptTraceparent(req, traceparent), principal);
  const { jobId, topic, tenant } = prepared;
  // a resubmit is answered with the existing job's trace id
  let traceId = prepared.traceId;
  const terminalOnly = req.terminalOnly;
  let createdAt = 0;
  return startWatch(
    deps,
    {
      topics: [],
      states: [],
      jobId,
      traceId: "",
      // The job was created under the caller's (scoped) tenant: the id alone selects it.
      tenant: "",
      backfill: 0,
      untilTerminal: true,
    },
    principal,
    {
      // Results come inline on the terminal event only when the feed put them there (small,
      // INLINE_RESULT_MAX_BYTES); a larger one is never read here: the client asks GetJob.
      write: (ev) => (terminalOnly && !(isJobState(ev.to) && isTerminal(ev.to)) ? true : transport.write(ev)),
      onDrain: (listener) => transport.onDrain(listener),
      ready: () => {
        transport.ready();
        transport.write(submittedEvent(shownId(principal, jobId), traceId, topic, tenant, createdAt));
      },
      end: () => transport.end(),
      fail: (err) => transport.fail(err),
    },
    {
      begin: async () => {
        const job = prepared;
        prepared = undefined;
        if (job === undefined) return false;
        const record = await tracedEnqueue(deps, job, principal, traceparent);
        createdAt = record.createdAt;
        traceId = record.traceId;
        return isTerminal(record.state);
      },
      withResults: true,
    },
  );
}

function submittedEvent(
  jobId: string,
  traceId: string,
  topic: string,
  tenant: string,
  atMs: number,
): JobEvent {
  return toJobEvent({ seq: 0, at: atMs, kind: EventKind.Submitted, jobId, traceId, topic, tenant });
}
