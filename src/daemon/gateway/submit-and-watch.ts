/**
 * SubmitAndWatch: submit one job and follow it to its end in a single call. The watcher
 * is registered before the job is published, so no event of it can be missed and no
 * history has to be read; the terminal event carries the result document, read once.
 */
import type { Logger } from "pino";
import { EventKind } from "../../core/event-kinds.js";
import { isJobState, isTerminal } from "../../core/states.js";
import type { JobEvent, SubmitJobRequest } from "../../gen/cortex/v1/api.js";
import type { JobStore } from "../../store/job-store.js";
import type { Principal } from "./auth.js";
import type { EventHub } from "./event-watch.js";
import { toJobEvent } from "./job-info.js";
import { enqueuePrepared, prepareSubmit, type SubmitDeps } from "./submit-job.js";
import { startWatch, type WatchSession, type WatchTransport } from "./watch-session.js";

export interface SubmitAndWatchDeps extends SubmitDeps {
  store: JobStore;
  hub: EventHub;
  logger: Logger;
  watchBufferSize: number;
  onDropped?: () => void;
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
): WatchSession {
  const job = prepareSubmit(deps, req, principal);
  let createdAt = 0;
  // a resubmit is answered with the existing job's trace id
  let traceId = job.traceId;
  // Writes after the terminal event wait for its result read, so order is kept and the
  // stream ends only once the result is out.
  let tail: Promise<void> = Promise.resolve();
  const failed = (err: unknown) => transport.fail(err);
  return startWatch(
    deps,
    {
      topics: [],
      states: [],
      jobId: job.jobId,
      traceId: "",
      // The job was created under the caller's (scoped) tenant: the id alone selects it.
      tenant: "",
      backfill: 0,
      untilTerminal: true,
    },
    principal,
    {
      write: (ev) => {
        if (!(isJobState(ev.to) && isTerminal(ev.to))) return req.terminalOnly ? true : transport.write(ev);
        // Small results come with the terminal event; larger ones are read from the store.
        const resultJson =
          ev.resultJson !== ""
            ? Promise.resolve(ev.resultJson)
            : deps.store
                .getResult(job.jobId)
                .then((result) => (result === undefined ? "" : JSON.stringify(result)));
        // Read ahead of earlier writes: its failure is handled where the tail reaches it.
        resultJson.catch(() => undefined);
        tail = tail
          .then(() => resultJson)
          .then((json) => {
            transport.write({ ...ev, resultJson: json });
          });
        tail.catch(failed);
        return true;
      },
      onDrain: (listener) => transport.onDrain(listener),
      ready: () => {
        transport.ready();
        transport.write(submittedEvent(job.jobId, traceId, job.topic, job.tenant, createdAt));
      },
      end: () => {
        tail.then(
          () => transport.end(),
          () => undefined,
        );
      },
      fail: failed,
    },
    {
      begin: async () => {
        const record = await enqueuePrepared(deps, job);
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
