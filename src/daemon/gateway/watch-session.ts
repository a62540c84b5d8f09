/**
 * One watch of the event stream, whatever carries it (a gRPC server stream or a
 * WebSocket): scope the request to the caller, register the watcher before anything is
 * read, send the backfill, then live events, and end after the job's terminal event when
 * asked to.
 */
import type { Logger } from "pino";
import { EventKind } from "../../core/event-kinds.js";
import { isJobState, isTerminal } from "../../core/states.js";
import type { JobEvent, WatchEventsRequest } from "../../gen/cortex/v1/api.js";
import type { JobEventRecord, JobStore } from "../../store/job-store.js";
import { type Principal, scopedTenant } from "./auth.js";
import {
  type EventHub,
  EventWatcher,
  filterFromRequest,
  MAX_BACKFILL,
  matchesFilter,
} from "./event-watch.js";
import { invalidArgument } from "./grpc-errors.js";
import { loadJob } from "./job-queries.js";
import type { ByteBudget } from "./stream-budget.js";
import { internalJobId, shownJobEvent } from "./tenant-ids.js";

export interface WatchDeps {
  store: JobStore;
  hub: EventHub;
  logger: Logger;
  watchBufferSize: number;
  /** Told of each event a slow client loses. */
  onDropped?: () => void;
  /** The stream's byte budget when several watches share it (SubmitAndWatchMany). */
  budget?: ByteBudget;
}

/** How a session reaches its client. */
export interface WatchTransport {
  /** false = the client is behind; wait for onDrain before writing more. */
  write(ev: JobEvent): boolean;
  onDrain(listener: () => void): void;
  /** The watch is registered and checked: every later event reaches the client. */
  ready(): void;
  /** Normal end (until_terminal reached). */
  end(): void;
  /** The request was refused after the transport opened (unknown job, store down). */
  fail(err: unknown): void;
}

/**
 * A bound key watches only its tenant (naming another is PERMISSION_DENIED), and names jobs
 * by the ids it was shown.
 */
export function scopeWatch(req: WatchEventsRequest, principal: Principal): WatchEventsRequest {
  return { ...req, tenant: scopedTenant(principal, req.tenant), jobId: internalJobId(principal, req.jobId) };
}

/** Request checks that need the store: a watched job must exist and be the caller's. */
export async function checkWatch(
  store: JobStore,
  req: WatchEventsRequest,
  principal: Principal,
): Promise<void> {
  if (req.backfill < 0) throw invalidArgument("backfill", "must not be negative");
  if (req.jobId !== "") await loadJob(store, req.jobId, principal);
}

/** The last `backfill` events (of the job, when one is named), oldest first. */
export async function loadBackfill(store: JobStore, req: WatchEventsRequest): Promise<JobEventRecord[]> {
  const n = Math.min(req.backfill, MAX_BACKFILL);
  if (n <= 0) return [];
  // One job's history is exact; otherwise the last n events overall, filtered by the watcher.
  if (req.jobId !== "") return (await store.events(req.jobId)).slice(-n);
  return store.recentEvents(n);
}

export interface WatchSession {
  /** Stops the watch (client gone); idempotent. */
  close(): void;
}

export interface StartWatchOptions {
  /**
   * Runs once the watcher is registered, instead of the request checks and the backfill
   * read: SubmitAndWatch enqueues its job here, so every event of the job is seen live.
   * Resolves true when the job may have ended already (a resubmit answered with its job).
   */
  begin?: () => Promise<boolean>;
  /** Keep results published inline on terminal events (JobEvent.result_json). */
  withResults?: boolean;
}

/** Starts a watch of an already scoped request (see scopeWatch). */
export function startWatch(
  deps: WatchDeps,
  req: WatchEventsRequest,
  principal: Principal,
  transport: WatchTransport,
  opts: StartWatchOptions = {},
): WatchSession {
  const untilTerminal = req.untilTerminal && req.jobId !== "";
  let closed = false;
  let ended = false;
  const watcher = new EventWatcher(
    filterFromRequest(req),
    {
      write: (ev) => {
        if (ended) return true;
        const ok = transport.write(shownJobEvent(principal, ev));
        if (untilTerminal && isJobState(ev.to) && isTerminal(ev.to)) finish();
        // The terminal event may be among those a slow client lost.
        else if (untilTerminal && ev.kind === EventKind.Dropped) void endIfTerminal().catch(fail);
        return ok;
      },
      onDrain: (listener) => transport.onDrain(listener),
    },
    deps.watchBufferSize,
    Date.now,
    deps.onDropped,
    opts.withResults ?? false,
    { budget: deps.budget },
  );
  const remove = deps.hub.add(watcher);
  const close = () => {
    if (closed) return;
    closed = true;
    remove();
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    close();
    transport.end();
  };
  const fail = (err: unknown) => {
    const wasClosed = closed;
    close();
    if (!wasClosed && !ended) transport.fail(err);
  };
  /**
   * When the job is already terminal but its terminal event never reached this watcher
   * (it went by before the watch was live, or was dropped), send it from the store's
   * history; the session ends once it is written. Sent twice it cannot be: writes stop
   * after the first terminal event.
   */
  const endIfTerminal = async () => {
    if (!untilTerminal || ended) return;
    const job = await deps.store.getJob(req.jobId);
    if (job === undefined || !isTerminal(job.state) || ended) return;
    const history = await deps.store.events(req.jobId);
    let last: JobEventRecord | undefined;
    for (let i = history.length - 1; i >= 0 && last === undefined; i--) {
      if (history[i]?.to === job.state) last = history[i];
    }
    if (last !== undefined && matchesFilter(watcher.filter, last)) watcher.offer(last);
    else finish();
  };

  const begin = opts.begin;
  if (begin !== undefined) {
    Promise.resolve()
      .then(async () => {
        const mayHaveEnded = await begin();
        if (closed) return;
        transport.ready();
        watcher.goLive([]);
        if (mayHaveEnded) await endIfTerminal();
      })
      .catch(fail);
    return { close };
  }

  Promise.resolve()
    .then(async () => {
      await checkWatch(deps.store, req, principal);
      const backfill = await loadBackfill(deps.store, req);
      if (closed) return;
      transport.ready();
      watcher.goLive(backfill);
      await endIfTerminal();
    })
    .catch(fail);

  return { close };
}
