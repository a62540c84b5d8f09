/**
 * The reducer of `cortex watch`: (state, action) → (state, effects). Pure: the controller
 * performs the effects (RPCs, quitting) and feeds their outcomes back as actions.
 *
 * Events are batched: "received" only queues them, "flush" (on a ~100 ms timer) applies
 * them, so a burst of a thousand events costs one render, not a thousand.
 */
import type { JobEvent } from "../../gen/cortex/v1/api.js";
import { applyEvents, withMessage } from "./apply.js";
import { decidedMessage, decideFailedMessage } from "./approval-keys.js";
import { applyDetailEvents, applyDetailResponse } from "./detail.js";
import { capRows, FAILED_STATES, isTerminalState, rowFromInfo } from "./jobs.js";
import { handleKey } from "./keys.js";
import {
  type Action,
  type Connection,
  type Effect,
  type JobRow,
  type LogEntry,
  MAX_HELD,
  MAX_LOG,
  MAX_PENDING,
  type PoolRow,
  SEEN_SEQS,
  STATS_WINDOW_MS,
  type Transition,
  type WatchState,
} from "./state.js";

const same = (state: WatchState): Transition => ({ state, effects: [] });

export function update(state: WatchState, action: Action): Transition {
  switch (action.type) {
    case "received":
      return same(receive(state, action.events));
    case "receivedDetail":
      if (state.detail?.jobId !== action.jobId || action.events.length === 0) return same(state);
      return same({ ...state, pendingDetail: capped([...state.pendingDetail, ...action.events]) });
    case "flush":
      return flush(state, action.now);
    case "seed":
      return same(seed(state, action));
    case "health":
      return same({
        ...state,
        healthError: undefined,
        health: {
          natsConnected: action.status.natsConnected,
          redisConnected: action.status.redisConnected,
          version: action.status.version,
          components: action.status.components.map((c) => ({ name: c.name, state: c.state })),
        },
      });
    case "healthFailed":
      return same({ ...state, healthError: action.error });
    case "workers":
      return same({ ...state, pools: poolRows(action.workers) });
    case "backlog":
      return same({ ...state, backlog: action.backlog });
    case "connection":
      return same(connection(state, action.connection, action.now));
    case "key":
      return handleKey(
        state,
        action.key,
        action.view ?? { pageSize: 10, maxScroll: Number.MAX_SAFE_INTEGER },
      );
    case "detailLoaded": {
      if (state.detail?.jobId !== action.jobId) return same(state);
      const job = action.response.job;
      const jobs = job
        ? new Map(state.jobs).set(job.jobId, rowFromInfo(job, state.jobs.get(job.jobId)))
        : state.jobs;
      return same({ ...state, jobs, detail: applyDetailResponse(state.detail, action.response) });
    }
    case "detailFailed":
      if (state.detail?.jobId !== action.jobId) return same(state);
      return same({ ...state, detail: { ...state.detail, loading: false, error: action.error } });
    case "detailStreaming":
      if (state.detail?.jobId !== action.jobId) return same(state);
      return same({ ...state, detail: { ...state.detail, streaming: action.streaming } });
    case "cancelled":
      return same(
        withMessage(
          state,
          action.cancelled
            ? `cancelled ${action.jobId.slice(0, 8)}`
            : `not cancelled: ${action.jobId.slice(0, 8)} is already ${action.state}`,
          action.cancelled ? "yellow" : "gray",
        ),
      );
    case "cancelFailed":
      return same(withMessage(state, `cancel failed: ${action.error}`, "red"));
    case "decided":
      return same(decidedMessage(state, action.jobId, action.approve, action.state));
    case "decideFailed":
      return same(decideFailedMessage(state, action.approve, action.error));
  }
}

/** Applies several actions, collecting the effects (handy in tests and replays). */
export function updateAll(state: WatchState, actions: readonly Action[]): Transition {
  let s = state;
  const effects: Effect[] = [];
  for (const a of actions) {
    const t = update(s, a);
    s = t.state;
    effects.push(...t.effects);
  }
  return { state: s, effects };
}

function capped(events: JobEvent[]): JobEvent[] {
  return events.length > MAX_PENDING ? events.slice(events.length - MAX_PENDING) : events;
}

function receive(state: WatchState, events: readonly JobEvent[]): WatchState {
  if (events.length === 0) return state;
  const all = [...state.pending, ...events];
  const over = Math.max(0, all.length - MAX_PENDING);
  // Over the cap, the oldest go: the counter becomes a "dropped" line and a resync.
  return { ...state, pending: over > 0 ? all.slice(over) : all, pendingDropped: state.pendingDropped + over };
}

const second = (ms: number) => Math.floor(ms / 1000);

function flush(state: WatchState, now: number): Transition {
  const idle =
    state.pending.length === 0 &&
    state.pendingDropped === 0 &&
    (state.paused || state.pendingDetail.length === 0) &&
    second(now) === second(state.now) &&
    (state.message === undefined || state.message.untilMs > now);
  if (idle) return same(state);

  const seen = new Set(state.seen);
  let seenOrder = [...state.seenOrder];
  const finishes = state.finishes.filter((f) => f.atMs > now - STATS_WINDOW_MS);
  const held = [...state.held];
  let heldDropped = state.heldDropped;
  const fresh: JobEvent[] = [];
  let totalEvents = state.totalEvents;

  const incoming = [...state.pending];
  if (state.pendingDropped > 0) incoming.push(localDrop(state.pendingDropped, now));
  for (const ev of incoming) {
    // Tokens belong to the detail view, which follows its job on its own stream.
    if (ev.kind === "token") continue;
    if (ev.seq > 0) {
      // A reconnect's backfill repeats what was already seen.
      if (seen.has(ev.seq)) continue;
      seen.add(ev.seq);
      seenOrder.push(ev.seq);
    }
    totalEvents += 1;
    if (ev.kind === "state" && isTerminalState(ev.to) && ev.atMs > now - STATS_WINDOW_MS) {
      finishes.push({ atMs: Math.min(ev.atMs, now), failed: FAILED_STATES.has(ev.to) });
    }
    if (!state.paused) fresh.push(ev);
    else if (held.length < MAX_HELD) held.push(ev);
    else heldDropped += 1;
  }
  if (seenOrder.length > SEEN_SEQS) {
    for (const seq of seenOrder.slice(0, seenOrder.length - SEEN_SEQS)) seen.delete(seq);
    seenOrder = seenOrder.slice(seenOrder.length - SEEN_SEQS);
  }

  let next: WatchState = {
    ...state,
    now,
    pending: [],
    pendingDropped: 0,
    seen,
    seenOrder,
    finishes,
    held,
    heldDropped,
    totalEvents,
  };
  if (next.message !== undefined && next.message.untilMs <= now) delete next.message;
  if (!state.paused && state.pendingDetail.length > 0 && next.detail !== undefined) {
    next = { ...next, pendingDetail: [], detail: applyDetailEvents(next.detail, state.pendingDetail) };
  }
  const applied = applyEvents(next, fresh);
  return applied;
}

/** A local overflow reported like the gateway's own marker. */
function localDrop(count: number, now: number): JobEvent {
  return {
    seq: 0,
    atMs: now,
    kind: "dropped",
    jobId: "",
    traceId: "",
    topic: "",
    from: "",
    to: "",
    workerId: "",
    reason: "",
    tenant: "",
    text: "",
    dropped: count,
    attempt: 0,
    resultJson: "",
    errorCode: "",
    hint: "",
  };
}

function seed(state: WatchState, action: Extract<Action, { type: "seed" }>): WatchState {
  const jobs = new Map<string, JobRow>(state.jobs);
  for (const info of action.jobs) jobs.set(info.jobId, rowFromInfo(info, jobs.get(info.jobId)));
  const keep = new Set<string>([state.selectedId ?? "", state.detail?.jobId ?? ""]);
  return { ...state, jobs: capRows(jobs, keep), now: Math.max(state.now, action.now) };
}

function poolRows(res: Extract<Action, { type: "workers" }>["workers"]): PoolRow[] {
  const newest = new Map<string, number>();
  for (const w of res.workers) {
    const pool = w.heartbeat?.pool ?? "";
    newest.set(pool, Math.max(newest.get(pool) ?? 0, w.lastSeenMs));
  }
  return res.pools
    .map((p) => ({
      pool: p.pool,
      liveWorkers: p.liveWorkers,
      activeJobs: p.activeJobs,
      capacity: p.capacity,
      lastHeartbeatMs: newest.get(p.pool) ?? 0,
    }))
    .sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0));
}

function connection(state: WatchState, conn: Connection, now: number): WatchState {
  const was = state.connection.status;
  const line = (text: string, tone: LogEntry["tone"]): LogEntry => ({
    atMs: now,
    seq: 0,
    kind: "connection",
    jobId: "",
    topic: "",
    state: "",
    text,
    tone,
  });
  let log = state.log;
  if (conn.status === "live" && was !== "live") {
    log = [...log, line(state.everConnected ? "● reconnected, resuming the stream" : "● connected", "green")];
  } else if (conn.status === "reconnecting" && was !== "reconnecting") {
    const what = was === "live" ? "connection lost" : "cannot connect";
    log = [...log, line(`✗ ${what}: ${conn.error}`, "red")];
  }
  if (log.length > MAX_LOG) log = log.slice(log.length - MAX_LOG);
  return {
    ...state,
    connection: conn,
    log,
    now: Math.max(state.now, now),
    everConnected: state.everConnected || conn.status === "live",
  };
}
