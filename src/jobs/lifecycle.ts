/**
 * The one job lifecycle of a process: admission, a worker's attempts, results of v1
 * workers, stops, and the repairs of the reconciler. The gateway, scheduler, worker
 * runtime and orchestrator share one instance; none of them writes job state or publishes
 * state events by itself.
 */
import type { JobRecord } from "../store/job-store.js";
import { Admission } from "./admission.js";
import { type ApprovalDecisionRequest, Approvals } from "./approvals.js";
import { Attempts } from "./attempts.js";
import { type StopState, stopJob } from "./cancel.js";
import { DeadLetters } from "./dead-letters.js";
import type { JobsDeps, JobsObserver, PolicyGate } from "./deps.js";
import { Dispatch } from "./dispatch.js";
import { EventFeed } from "./event-feed.js";
import { Moves } from "./moves.js";
import { type Recovered, recoverQueuedJobs } from "./recovery.js";
import { V1Results } from "./v1-results.js";

export class JobLifecycle {
  readonly feed: EventFeed;
  readonly moves: Moves;
  readonly dispatch: Dispatch;
  readonly admission: Admission;
  readonly attempts: Attempts;
  readonly v1Results: V1Results;
  readonly deadLetters: DeadLetters;
  readonly approvals: Approvals;

  readonly deps: JobsDeps;
  private readonly observers: JobsObserver[] = [];

  /** Without a policy gate, admission leaves every job PENDING on sys.job.submit for a scheduler to decide. */
  constructor(deps: JobsDeps, policy?: PolicyGate) {
    if (deps.observer) this.observers.push(deps.observer);
    this.deps = { ...deps, observer: fanOut(this.observers) };
    deps = this.deps;
    this.feed = new EventFeed(deps.bus, deps.logger);
    this.moves = new Moves(deps, this.feed);
    this.dispatch = new Dispatch(deps, this.moves);
    this.admission = new Admission(deps, policy, this.moves, this.dispatch, this.feed);
    this.attempts = new Attempts(deps, this.moves, this.dispatch, this.feed);
    this.v1Results = new V1Results(deps, this.moves, this.dispatch);
    this.deadLetters = new DeadLetters(deps, this.admission);
    this.approvals = new Approvals(deps, this.moves, this.dispatch);
  }

  /** A human's decision on a held job; `live` tells whether the topic's pool has a live worker. */
  decideApproval(
    req: ApprovalDecisionRequest,
    live: (topic: string) => boolean = () => false,
  ): Promise<JobRecord> {
    return this.approvals.decide(req, live);
  }

  /** Adds a metrics observer (a scheduler sharing this process's lifecycle). */
  observe(observer: JobsObserver): void {
    this.observers.push(observer);
  }

  stop(jobId: string, reason: string, to?: StopState) {
    return stopJob(this.deps, this.moves, jobId, reason, to);
  }

  /** Queues again what the store says was queued or running when an embedded daemon died. */
  recover(): Promise<Recovered> {
    return recoverQueuedJobs(this.deps, this.moves, this.admission);
  }

  /** Publishes what is still queued (before the bus closes). */
  drain(): Promise<void> {
    return this.feed.drain();
  }
}

function fanOut(observers: readonly JobsObserver[]): JobsObserver {
  return {
    decided: (topic) => {
      for (const o of observers) o.decided?.(topic);
    },
    denied: (topic) => {
      for (const o of observers) o.denied?.(topic);
    },
    dispatched: (job, attempt) => {
      for (const o of observers) o.dispatched?.(job, attempt);
    },
    ended: (job) => {
      for (const o of observers) o.ended?.(job);
    },
    held: (topic) => {
      for (const o of observers) o.held?.(topic);
    },
    approvalDecided: (decision, waitMs) => {
      for (const o of observers) o.approvalDecided?.(decision, waitMs);
    },
  };
}
