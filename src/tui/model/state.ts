/**
 * The view state of `cortex watch` and the actions that change it. Everything here is
 * plain data: the reducer (update.ts) is a pure function over it, so the whole screen's
 * behaviour is unit-tested without Ink, a terminal or a daemon.
 */
import type {
  GetJobResponse,
  GetStatusResponse,
  JobEvent,
  JobInfo,
  ListWorkersResponse,
} from "../../gen/cortex/v1/api.js";
import type { Tone } from "../format.js";
import { DEFAULT_SORT, type SortOrder } from "./sort-order.js";

/** jobs/s and failures are counted over this window. */
export const STATS_WINDOW_MS = 10_000;
/** Rows kept in the job list; older ones are forgotten (the store still has them). */
export const MAX_JOBS = 300;
export const MAX_LOG = 300;
/** Events kept while paused; beyond this they are counted, then resynced on resume. */
export const MAX_HELD = 5_000;
/** Events received but not yet flushed; a flood beyond this is counted as dropped. */
export const MAX_PENDING = 20_000;
/** Seqs remembered to drop the events a reconnect's backfill repeats. */
export const SEEN_SEQS = 4_096;
/** Characters of live output (tokens) kept for the detail view: its tail. */
export const MAX_OUTPUT_CHARS = 64 * 1024;
export const MESSAGE_TTL_MS = 5_000;

export interface JobRow {
  jobId: string;
  topic: string;
  state: string;
  tenant: string;
  attempts: number;
  workerId: string;
  reason: string;
  /** From a listing ("" when known only from events: see parentOf). */
  parentJobId: string;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  updatedAtMs: number;
  /** Seq of the last state event applied (0 = known only from a listing). */
  lastSeq: number;
}

export interface LogEntry {
  atMs: number;
  seq: number;
  kind: string;
  jobId: string;
  topic: string;
  /** The state entered, for filtering; "" for non-state events. */
  state: string;
  text: string;
  tone: Tone;
}

export interface PoolRow {
  pool: string;
  liveWorkers: number;
  activeJobs: number;
  capacity: number;
  /** Newest heartbeat of the pool's workers (unix ms); 0 = none. */
  lastHeartbeatMs: number;
}

export interface Health {
  natsConnected: boolean;
  redisConnected: boolean;
  version: string;
  components: { name: string; state: string }[];
}

export type Connection =
  | { status: "connecting" }
  | { status: "live"; sinceMs: number }
  | { status: "reconnecting"; attempt: number; retryAtMs: number; error: string };

export interface Backlog {
  pending: number;
  scheduled: number;
  dispatched: number;
  /** A count reached the listing limit: the real backlog is at least this. */
  capped: boolean;
  /** Jobs held for a human decision (not backlog: nothing runs them until someone decides). */
  awaitingApproval?: number;
}

export interface DetailState {
  jobId: string;
  job?: JobInfo;
  contextJson: string;
  resultJson: string;
  /** State events of the job, ordered by seq. */
  timeline: JobEvent[];
  /** Live tokens and progress notes. */
  output: string;
  outputTruncated: boolean;
  loading: boolean;
  streaming: boolean;
  error?: string;
  /** First body line shown. */
  scroll: number;
  /** While the job runs, keep the newest output in view (until the user scrolls). */
  follow: boolean;
}

export interface Message {
  text: string;
  tone: Tone;
  untilMs: number;
}

export interface WatchState {
  /** Clock of the last flush; every age on screen is relative to it. */
  now: number;
  connection: Connection;
  /** Has the stream ever been live (a later loss is a reconnect, not a first connect)? */
  everConnected: boolean;
  health?: Health;
  healthError?: string;
  pools: PoolRow[];
  backlog?: Backlog;
  jobs: ReadonlyMap<string, JobRow>;
  log: readonly LogEntry[];
  /** Received, not yet shown: applied on the next flush (at most ~10 renders/s). */
  pending: readonly JobEvent[];
  pendingDropped: number;
  /** Events for the open detail view, not yet applied. */
  pendingDetail: readonly JobEvent[];
  /** Flushed while paused, applied on resume. */
  held: readonly JobEvent[];
  heldDropped: number;
  seen: ReadonlySet<number>;
  seenOrder: readonly number[];
  /** Terminal state events (at, failed?) inside the stats window. */
  finishes: readonly { atMs: number; failed: boolean }[];
  totalEvents: number;
  droppedEvents: number;
  paused: boolean;
  /** Selected job; undefined = the top row (the selection follows new jobs). */
  selectedId?: string;
  /** Where the selection was, for when its job leaves the list. */
  selectedIndex: number;
  filter: string;
  sort: SortOrder;
  /** Workflow parents shown with their children (the rest are folded). */
  expanded: ReadonlySet<string>;
  /** The bottom pane: every event, or the selected job's (and its children's). */
  logPane: "all" | "job";
  /** The filter being typed after `/`. */
  filterInput?: string;
  confirm?: { jobId: string; topic: string };
  /** The reason being typed after `r` (reject the held job). */
  rejectInput?: { jobId: string; topic: string; reason: string };
  help: boolean;
  detail?: DetailState;
  message?: Message;
  quit: boolean;
}

/** Keys as the reducer sees them (a subset of Ink's Key, easy to build in tests). */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
}

export type Action =
  | { type: "received"; events: readonly JobEvent[] }
  | { type: "receivedDetail"; jobId: string; events: readonly JobEvent[] }
  | { type: "flush"; now: number }
  | { type: "seed"; jobs: readonly JobInfo[]; now: number }
  | { type: "health"; status: GetStatusResponse }
  | { type: "healthFailed"; error: string }
  | { type: "workers"; workers: ListWorkersResponse }
  | { type: "backlog"; backlog: Backlog }
  | { type: "connection"; connection: Connection; now: number }
  | { type: "key"; key: KeyPress; view?: KeyView }
  | { type: "detailLoaded"; jobId: string; response: GetJobResponse }
  | { type: "detailFailed"; jobId: string; error: string }
  | { type: "detailStreaming"; jobId: string; streaming: boolean }
  | { type: "cancelled"; jobId: string; state: string; cancelled: boolean }
  | { type: "cancelFailed"; jobId: string; error: string }
  | { type: "decided"; jobId: string; approve: boolean; state: string }
  | { type: "decideFailed"; jobId: string; approve: boolean; error: string };

/** What the screen knows that keys need: how far a page moves and how far the detail scrolls. */
export interface KeyView {
  pageSize: number;
  maxScroll: number;
}

/** Work the reducer asks the controller to do. */
export type Effect =
  | { type: "openDetail"; jobId: string }
  | { type: "closeDetail" }
  | { type: "cancel"; jobId: string }
  | { type: "decide"; jobId: string; approve: boolean; reason: string }
  | { type: "resync" }
  | { type: "quit" };

export interface Transition {
  state: WatchState;
  effects: Effect[];
}

export function initialState(now: number): WatchState {
  return {
    now,
    connection: { status: "connecting" },
    everConnected: false,
    pools: [],
    jobs: new Map(),
    log: [],
    pending: [],
    pendingDropped: 0,
    pendingDetail: [],
    held: [],
    heldDropped: 0,
    seen: new Set(),
    seenOrder: [],
    finishes: [],
    totalEvents: 0,
    droppedEvents: 0,
    paused: false,
    selectedIndex: 0,
    filter: "",
    sort: DEFAULT_SORT,
    expanded: new Set(),
    logPane: "all",
    help: false,
    quit: false,
  };
}
