/**
 * Drives the view-model of `cortex watch` from the gateway: the event stream (backfill, then
 * live; reconnecting with backoff when the daemon goes away), polls of status, workers and
 * backlog, the detail view's own stream, and the effects the reducer asks for. Only the
 * gRPC client is used: the TUI never imports daemon code.
 *
 * Rendering is paced here: stream events wait in an inbox and reach the state in one batch
 * per flush tick (~10/s), so React renders at most that often however busy the stack is.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../client/gateway-client.js";
import { backoffCeiling, backoffDelay } from "../core/backoff.js";
import { JobState } from "../core/states.js";
import type { JobEvent } from "../gen/cortex/v1/api.js";
import { followDetail } from "./detail-follower.js";
import { type Action, type Effect, initialState, type WatchState } from "./model/state.js";
import { update } from "./model/update.js";

export interface WatchControllerOptions {
  /** A fresh client; called again on every reconnect so a dead channel is never reused. */
  connect: () => GatewayClient;
  flushMs?: number;
  pollMs?: number;
  /** Events replayed from the store when the stream (re)starts. */
  backfill?: number;
  /** Jobs listed to seed the table. */
  seedLimit?: number;
  /** Listing limit per state when counting the backlog. */
  backlogLimit?: number;
  backoff?: { baseMs: number; maxMs: number };
  now?: () => number;
}

export const WATCH_DEFAULTS = {
  flushMs: 100,
  pollMs: 1_500,
  backfill: 200,
  seedLimit: 50,
  backlogLimit: 500,
  backoff: { baseMs: 500, maxMs: 5_000 },
} as const;

export const CANCEL_REASON = "cancelled from cortex watch";

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class WatchController {
  private state: WatchState;
  private readonly listeners = new Set<() => void>();
  private client: GatewayClient | undefined;
  private inbox: JobEvent[] = [];
  private detailInbox: { jobId: string; events: JobEvent[] } | undefined;
  private readonly stopper = new AbortController();
  private detail: { jobId: string; abort: AbortController } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private started = false;
  private resolveQuit!: () => void;
  /** Resolves once the user quits (q, Ctrl+C) or stop() is called. */
  readonly quitted: Promise<void>;
  private readonly opts: Required<Omit<WatchControllerOptions, "connect">> &
    Pick<WatchControllerOptions, "connect">;

  constructor(options: WatchControllerOptions) {
    this.opts = { ...WATCH_DEFAULTS, now: Date.now, ...options };
    this.state = initialState(this.opts.now());
    this.quitted = new Promise((r) => {
      this.resolveQuit = r;
    });
  }

  readonly getState = (): WatchState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  dispatch(action: Action): void {
    if (this.stopper.signal.aborted && action.type !== "key") return;
    const { state, effects } = update(this.state, action);
    const changed = state !== this.state;
    this.state = state;
    for (const effect of effects) this.run(effect);
    if (changed) for (const l of this.listeners) l();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.flushTimer = setInterval(() => this.flush(), this.opts.flushMs);
    this.pollTimer = setInterval(() => void this.poll(), this.opts.pollMs);
    void this.streamLoop();
  }

  stop(): void {
    if (this.stopper.signal.aborted) return;
    this.stopper.abort();
    clearInterval(this.flushTimer);
    clearInterval(this.pollTimer);
    this.closeDetail();
    this.client?.close();
    this.client = undefined;
    this.resolveQuit();
  }

  /** Moves the inbox into the state: one render for everything that arrived since the last tick. */
  flush(): void {
    const events = this.inbox;
    this.inbox = [];
    const detail = this.detailInbox;
    this.detailInbox = undefined;
    if (events.length > 0) this.state = update(this.state, { type: "received", events }).state;
    if (detail) this.state = update(this.state, { type: "receivedDetail", ...detail }).state;
    this.dispatch({ type: "flush", now: this.opts.now() });
  }

  private currentClient(): GatewayClient {
    this.client ??= this.opts.connect();
    return this.client;
  }

  private reconnectClient(): GatewayClient {
    this.client?.close();
    this.client = this.opts.connect();
    return this.client;
  }

  private async streamLoop(): Promise<void> {
    const signal = this.stopper.signal;
    let failures = 0;
    let client = this.currentClient();
    while (!signal.aborted) {
      const stream = client.watchEvents({ backfill: this.opts.backfill }, { signal });
      try {
        await stream.ready;
        if (signal.aborted) return;
        failures = 0;
        this.dispatch({
          type: "connection",
          connection: { status: "live", sinceMs: this.opts.now() },
          now: this.opts.now(),
        });
        void this.seed();
        void this.poll();
        for await (const ev of stream) this.inbox.push(ev);
        throw new Error("the gateway ended the event stream");
      } catch (err) {
        if (signal.aborted) return;
        stream.cancel();
        failures += 1;
        const opts = this.opts.backoff;
        // Half fixed, half jitter: never a busy loop, never lockstep with other watchers.
        const delay = Math.floor(backoffCeiling(failures, opts) / 2 + backoffDelay(failures, opts) / 2);
        const now = this.opts.now();
        this.dispatch({
          type: "connection",
          connection: {
            status: "reconnecting",
            attempt: failures,
            retryAtMs: now + delay,
            error: message(err),
          },
          now,
        });
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
        client = this.reconnectClient();
      }
    }
  }

  private async seed(): Promise<void> {
    try {
      const res = await this.currentClient().listJobs({ limit: this.opts.seedLimit });
      this.dispatch({ type: "seed", jobs: res.jobs, now: this.opts.now() });
    } catch {
      // The stream reports connection trouble; a failed listing is retried on the next connect.
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopper.signal.aborted || this.state.connection.status !== "live") return;
    this.polling = true;
    const client = this.currentClient();
    const limit = this.opts.backlogLimit;
    const count = (state: string) => client.listJobs({ state, limit }).then((r) => r.jobs.length);
    try {
      await Promise.all([
        client.getStatus().then(
          (status) => this.dispatch({ type: "health", status }),
          (err: unknown) => this.dispatch({ type: "healthFailed", error: message(err) }),
        ),
        client.listWorkers().then(
          (workers) => this.dispatch({ type: "workers", workers }),
          () => undefined,
        ),
        Promise.all([
          count(JobState.Pending),
          count(JobState.Scheduled),
          count(JobState.Dispatched),
          count(JobState.AwaitingApproval),
        ]).then(
          ([pending, scheduled, dispatched, awaitingApproval]) =>
            this.dispatch({
              type: "backlog",
              backlog: {
                pending,
                scheduled,
                dispatched,
                capped: [pending, scheduled, dispatched].some((n) => n >= limit),
                awaitingApproval,
              },
            }),
          () => undefined,
        ),
      ]);
    } finally {
      this.polling = false;
    }
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case "openDetail":
        this.openDetail(effect.jobId);
        return;
      case "closeDetail":
        this.closeDetail();
        return;
      case "cancel":
        this.currentClient()
          .cancelJob(effect.jobId, CANCEL_REASON)
          .then(
            (res) =>
              this.dispatch({
                type: "cancelled",
                jobId: effect.jobId,
                state: res.state,
                cancelled: res.cancelled,
              }),
            (err: unknown) =>
              this.dispatch({ type: "cancelFailed", jobId: effect.jobId, error: message(err) }),
          );
        return;
      case "decide":
        this.currentClient()
          .decideApproval({ jobId: effect.jobId, approve: effect.approve, reason: effect.reason })
          .then(
            (res) =>
              this.dispatch({
                type: "decided",
                jobId: effect.jobId,
                approve: effect.approve,
                state: res.job?.state ?? "",
              }),
            (err: unknown) =>
              this.dispatch({
                type: "decideFailed",
                jobId: effect.jobId,
                approve: effect.approve,
                error: message(err),
              }),
          );
        return;
      case "resync":
        void this.seed();
        return;
      case "quit":
        this.stop();
        return;
    }
  }

  private openDetail(jobId: string): void {
    this.closeDetail();
    const abort = new AbortController();
    this.detail = { jobId, abort };
    void followDetail({
      jobId,
      signal: abort.signal,
      client: () => this.currentClient(),
      dispatch: (action) => this.dispatch(action),
      onEvent: (ev) => {
        if (this.detailInbox?.jobId !== jobId) this.detailInbox = { jobId, events: [] };
        this.detailInbox.events.push(ev);
      },
      flush: () => this.flush(),
      backoff: this.opts.backoff,
    });
  }

  private closeDetail(): void {
    this.detail?.abort.abort();
    this.detail = undefined;
    this.detailInbox = undefined;
  }
}
