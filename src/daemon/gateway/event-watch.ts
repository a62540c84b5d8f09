/**
 * WatchEvents: one bus subscription on `sys.job.event` fans out to every watching client.
 * Each client has a queue bounded in count and in bytes; a client too slow to keep up loses
 * events (never the gateway's memory) and is told how many with one "dropped" event.
 */

import { EventKind } from "../../core/event-kinds.js";
import { matchesSubject } from "../../core/topic-match.js";
import type { JobEvent, WatchEventsRequest } from "../../gen/cortex/v1/api.js";
import type { JobEventRecord } from "../../store/job-store.js";
import { toJobEvent } from "./job-info.js";
import { type ByteBudget, eventBytes, WATCHER_QUEUE_BYTES } from "./stream-budget.js";

export const DEFAULT_WATCH_BUFFER = 1_000;
export const MAX_BACKFILL = 1_000;

export interface EventFilter {
  topics: readonly string[];
  states: readonly string[];
  jobId: string;
  traceId: string;
  tenant: string;
}

/** Empty filter fields match everything; topics may be NATS-style patterns (job.chat.*). */
export function matchesFilter(f: EventFilter, ev: JobEventRecord): boolean {
  if (f.jobId !== "" && ev.jobId !== f.jobId) return false;
  if (f.traceId !== "" && ev.traceId !== f.traceId) return false;
  if (f.tenant !== "" && ev.tenant !== f.tenant) return false;
  if (f.states.length > 0 && (ev.to === undefined || !f.states.includes(ev.to))) return false;
  if (f.topics.length > 0) {
    const topic = ev.topic;
    if (topic === undefined || !f.topics.some((t) => t === topic || matchesSubject(t, topic))) return false;
  }
  return true;
}

export function filterFromRequest(req: WatchEventsRequest): EventFilter {
  return {
    topics: req.topics.filter((t) => t !== ""),
    states: req.states.filter((s) => s !== "").map((s) => s.toUpperCase()),
    jobId: req.jobId,
    traceId: req.traceId,
    tenant: req.tenant,
  };
}

export interface WatcherLimits {
  /** Bytes the queue may hold before events are dropped (default WATCHER_QUEUE_BYTES). */
  maxQueuedBytes?: number;
  /** The stream's shared budget, told of every queued byte (SubmitAndWatchMany). */
  budget?: ByteBudget;
}

/** Where a watcher writes: a gRPC server stream in production. */
export interface EventSink {
  /** false = the sink is full; wait for onDrain before writing more. */
  write(ev: JobEvent): boolean;
  onDrain(listener: () => void): void;
}

export function droppedEvent(count: number, atMs: number): JobEvent {
  return { ...toJobEvent({ seq: 0, at: atMs, kind: EventKind.Dropped, jobId: "" }), dropped: count };
}

/**
 * One client's queue. Events are queued in arrival order; when the queue is full, further
 * events are counted into a single "dropped" marker at its tail, which is sent in order
 * once the client catches up.
 *
 * A watcher starts out holding live events while its backfill is read from the store, so
 * nothing published in between is lost; the backfill goes first, then the held events
 * minus those the backfill already carried (same seq).
 */
export class EventWatcher {
  private readonly queue: JobEvent[] = [];
  private held: JobEventRecord[] | undefined = [];
  private readonly backfilled = new Set<number>();
  /** The "dropped" event currently at the queue's tail, still counting. */
  private marker: JobEvent | undefined;
  /** Markers are not counted in queueBytes. */
  private readonly markers = new WeakSet<JobEvent>();
  private paused = false;
  private closed = false;
  private queueBytes = 0;

  constructor(
    readonly filter: EventFilter,
    private readonly sink: EventSink,
    private readonly maxQueued = DEFAULT_WATCH_BUFFER,
    private readonly now: () => number = Date.now,
    /** Told of every event this watcher drops (metrics). */
    private readonly onDropped?: () => void,
    /** Pass on results published inline on terminal events (SubmitAndWatch). */
    private readonly withResults = false,
    private readonly limits: WatcherLimits = {},
  ) {}

  offer(ev: JobEventRecord): void {
    if (this.closed || !matchesFilter(this.filter, ev)) return;
    if (this.held !== undefined) {
      this.held.push(ev);
      // Backfill reads are one store call; if it stalls, stop holding rather than grow.
      if (this.held.length > this.maxQueued) this.goLive([]);
      return;
    }
    if (ev.seq > 0 && this.backfilled.has(ev.seq)) return;
    this.enqueue(ev);
  }

  /** Sends the backfill (oldest first), then everything held meanwhile. Idempotent. */
  goLive(backfill: readonly JobEventRecord[]): void {
    const held = this.held;
    if (held === undefined || this.closed) return;
    this.held = undefined;
    for (const ev of backfill) {
      if (!matchesFilter(this.filter, ev)) continue;
      if (ev.seq > 0) this.backfilled.add(ev.seq);
      this.enqueue(ev);
    }
    for (const ev of held) {
      if (ev.seq > 0 && this.backfilled.has(ev.seq)) continue;
      this.enqueue(ev);
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.limits.budget?.release(this.queueBytes);
    this.queueBytes = 0;
    this.held = undefined;
  }

  queued(): number {
    return this.queue.length;
  }

  private enqueue(ev: JobEventRecord): void {
    const maxBytes = this.limits.maxQueuedBytes ?? WATCHER_QUEUE_BYTES;
    if (this.queue.length >= this.maxQueued || this.queueBytes >= maxBytes) {
      this.onDropped?.();
      const tail = this.queue[this.queue.length - 1];
      if (tail !== undefined && tail === this.marker) {
        tail.dropped += 1;
      } else {
        this.marker = droppedEvent(1, this.now());
        this.markers.add(this.marker);
        this.queue.push(this.marker);
      }
    } else {
      const out = toJobEvent(ev, this.withResults);
      const n = eventBytes(out);
      this.queueBytes += n;
      this.limits.budget?.add(n);
      this.queue.push(out);
    }
    this.flush();
  }

  private flush(): void {
    while (!this.paused && !this.closed) {
      const next = this.queue.shift();
      if (next === undefined) return;
      if (!this.markers.has(next)) {
        const n = eventBytes(next);
        this.queueBytes -= n;
        this.limits.budget?.release(n);
      }
      if (!this.sink.write(next)) {
        this.paused = true;
        this.sink.onDrain(() => {
          this.paused = false;
          this.flush();
        });
      }
    }
  }
}

/**
 * The set of live watchers; the gateway feeds it from its single bus subscription. Watchers
 * of one job (every SubmitAndWatch) are indexed by its id, so an event costs a lookup, not a
 * filter check per watcher.
 */
export class EventHub {
  private readonly watchers = new Set<EventWatcher>();
  private readonly byJob = new Map<string, Set<EventWatcher>>();
  /** Watchers not bound to one job (WatchEvents by topic, tenant, trace, or everything). */
  private readonly general = new Set<EventWatcher>();
  /** Events fanned out so far (tests wait on it). */
  published = 0;

  add(w: EventWatcher): () => void {
    this.watchers.add(w);
    const jobId = w.filter.jobId;
    if (jobId === "") {
      this.general.add(w);
    } else {
      const set = this.byJob.get(jobId) ?? new Set<EventWatcher>();
      set.add(w);
      this.byJob.set(jobId, set);
    }
    return () => {
      w.close();
      this.watchers.delete(w);
      this.general.delete(w);
      const set = this.byJob.get(jobId);
      if (set?.delete(w) && set.size === 0) this.byJob.delete(jobId);
    };
  }

  publish(ev: JobEventRecord): void {
    this.published += 1;
    const ofJob = this.byJob.get(ev.jobId);
    if (ofJob !== undefined) for (const w of ofJob) w.offer(ev);
    for (const w of this.general) w.offer(ev);
  }

  size(): number {
    return this.watchers.size;
  }

  /** The longest queue of any watcher: bounded by its buffer size plus one marker. */
  maxQueued(): number {
    let max = 0;
    for (const w of this.watchers) max = Math.max(max, w.queued());
    return max;
  }

  closeAll(): void {
    for (const w of this.watchers) w.close();
    this.watchers.clear();
    this.general.clear();
    this.byJob.clear();
  }
}
