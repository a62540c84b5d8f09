/**
 * Waits for child jobs to end by listening to `sys.job.event` (every state change the
 * scheduler, gateway and orchestrator make is announced there) — no polling loop. One
 * subscription serves every workflow of the worker. The store is read once when a wait
 * begins (the child may already be done) and once at the deadline (an event may have been
 * lost: events are best effort, the store is the truth).
 */
import type { Logger } from "pino";
import type { Bus, Subscription } from "../../bus/bus.js";
import { parseEventPayload } from "../../core/job-event.js";
import { isJobState, isTerminal, JobState } from "../../core/states.js";
import { Subjects } from "../../core/subjects.js";
import type { JobEventRecord, JobRecord, JobStore } from "../../store/job-store.js";

const decoder = new TextDecoder();
/** How often a long wait reads the store in case an event was lost. */
const RECHECK_MS = 60_000;

export class ChildWatch {
  private subscription: Promise<Subscription> | undefined;
  /** Called with the new state of a job, for every state event of a watched job. */
  private readonly listeners = new Map<string, Set<(event: JobEventRecord) => void>>();

  constructor(
    private readonly bus: Bus,
    private readonly store: JobStore,
    private readonly logger: Logger,
  ) {}

  /** Subscribes once; later calls share the subscription. */
  start(): Promise<Subscription> {
    this.subscription ??= this.bus
      .subscribeRaw(Subjects.jobEvent, (data) => this.onEvent(data))
      .catch((err: unknown) => {
        this.subscription = undefined;
        throw err;
      });
    return this.subscription;
  }

  async stop(): Promise<void> {
    const sub = this.subscription;
    this.subscription = undefined;
    await (await sub)?.unsubscribe();
  }

  /**
   * The child's record once it is terminal; undefined when `deadline` (unix ms) passes first.
   * `onState` sees each state it moves through meanwhile. Rejects with the signal's reason on abort.
   */
  waitTerminal(
    jobId: string,
    deadline: number,
    signal: AbortSignal,
    onState?: (state: string) => void,
  ): Promise<JobRecord | undefined> {
    return this.waitUntil(jobId, (state) => isTerminal(state), deadline, signal, onState);
  }

  /** As waitTerminal, and also done when the job is held for approval. */
  waitTerminalOrHeld(
    jobId: string,
    deadline: number,
    signal: AbortSignal,
    onState?: (state: string) => void,
  ): Promise<JobRecord | undefined> {
    const done = (state: JobState) => isTerminal(state) || state === JobState.AwaitingApproval;
    return this.waitUntil(jobId, done, deadline, signal, onState);
  }

  /**
   * The child's record once a human decided on its approval (it left AWAITING_APPROVAL). Its
   * rule's expiry bounds the wait: the reconciler denies it then.
   */
  async waitDecided(
    jobId: string,
    signal: AbortSignal,
    onState?: (state: string) => void,
  ): Promise<JobRecord | undefined> {
    return this.waitUntil(
      jobId,
      (state) => state !== JobState.AwaitingApproval,
      Number.POSITIVE_INFINITY,
      signal,
      onState,
    );
  }

  private async waitUntil(
    jobId: string,
    done: (state: JobState) => boolean,
    deadline: number,
    signal: AbortSignal,
    onState?: (state: string) => void,
  ): Promise<JobRecord | undefined> {
    signal.throwIfAborted();
    await this.start();
    let wake: () => void = () => undefined;
    const listener = (event: JobEventRecord) => {
      if (event.to !== undefined) onState?.(event.to);
      if (event.to !== undefined && isJobState(event.to) && done(event.to)) wake();
    };
    const set = this.listeners.get(jobId) ?? new Set();
    set.add(listener);
    this.listeners.set(jobId, set);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => wake();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        // Armed before the read: an end announced while the read is in flight still wakes us.
        const woken = new Promise<void>((r) => {
          wake = r;
        });
        const current = await this.store.getJob(jobId);
        if (current && done(current.state)) return current;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        // Long waits read the store again now and then: events are best effort.
        timer = setTimeout(() => wake(), Math.min(left, RECHECK_MS));
        await woken;
        clearTimeout(timer);
        signal.throwIfAborted();
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    }
  }

  private onEvent(data: Uint8Array): void {
    const { events, rejected } = parseEventPayload(decoder.decode(data), Date.now());
    if (rejected > 0) this.logger.debug({ rejected }, "ignoring malformed job events");
    for (const event of events) {
      for (const listener of this.listeners.get(event.jobId) ?? []) listener(event);
    }
  }
}
