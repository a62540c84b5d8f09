/**
 * An in-memory GatewayClient for the TUI's unit tests: scripted listings and event streams
 * the test pushes into. It fakes cortex's own client interface (not gRPC); the real gRPC
 * path is covered by the tmux end-to-end test against a live stack.
 */
import type {
  DecideApprovalInput,
  EventStream,
  GatewayClient,
  GetJobOptions,
  ListJobsInput,
  WatchEventsInput,
  WatchOptions,
} from "../../../src/client/gateway-client.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import type {
  CancelJobResponse,
  DecideApprovalResponse,
  GetJobResponse,
  GetStatusResponse,
  JobEvent,
  JobInfo,
  ListApprovalsResponse,
  ListDeadLettersResponse,
  ListJobsResponse,
  ListWorkersResponse,
  RetryDeadLetterResponse,
} from "../../../src/gen/cortex/v1/api.js";

let nextSeq = 1;

export function event(p: Partial<JobEvent> = {}): JobEvent {
  return {
    seq: nextSeq++,
    atMs: Date.now(),
    kind: "state",
    jobId: "job-1",
    traceId: "trace-1",
    topic: "job.echo",
    from: "",
    to: "PENDING",
    workerId: "",
    reason: "",
    tenant: "default",
    text: "",
    dropped: 0,
    attempt: 0,
    resultJson: "",
    errorCode: "",
    hint: "",
    ...p,
  };
}

export function jobInfo(p: Partial<JobInfo> = {}): JobInfo {
  const now = Date.now();
  return {
    jobId: "job-1",
    traceId: "trace-1",
    topic: "job.echo",
    state: "PENDING",
    tenant: "default",
    attempts: 0,
    workerId: "",
    reason: "",
    resultPtr: "",
    priority: "INTERACTIVE",
    parentJobId: "",
    workflowId: "",
    stepIndex: 0,
    createdAtMs: now,
    updatedAtMs: now,
    scheduledAtMs: 0,
    dispatchedAtMs: 0,
    startedAtMs: 0,
    finishedAtMs: 0,
    adapterId: "",
    waitingReason: "",
    approval: undefined,
    ...p,
  };
}

export const unreachable = () =>
  new CortexError(ErrorCode.StackUnreachable, "cannot reach the cortex gateway at fake:1", {
    hint: "start it",
  });

/** One WatchEvents call the test drives. */
export class FakeStream implements EventStream {
  readonly ready: Promise<void>;
  cancelled = false;
  private readonly queue: JobEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private error: unknown;
  private resolveReady!: () => void;
  private rejectReady!: (err: unknown) => void;

  constructor(readonly request: WatchEventsInput) {
    this.ready = new Promise<void>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
  }

  open(): this {
    this.resolveReady();
    return this;
  }

  push(...events: JobEvent[]): void {
    this.queue.push(...events);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.resolveReady();
    this.wake?.();
  }

  fail(err: unknown = unreachable()): void {
    this.error = err;
    this.rejectReady(err);
    this.wake?.();
  }

  cancel(): void {
    this.cancelled = true;
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JobEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = undefined;
    }
  }
}

export interface FakeGatewayOptions {
  jobs?: JobInfo[];
  /** What GetJob answers per job id. */
  details?: Record<string, GetJobResponse>;
}

export class FakeGateway implements GatewayClient {
  readonly address = "fake:1";
  readonly streams: FakeStream[] = [];
  readonly cancels: { jobId: string; reason: string }[] = [];
  readonly decisions: DecideApprovalInput[] = [];
  readonly getJobs: { jobId: string; opts: GetJobOptions | undefined }[] = [];
  readonly listCalls: ListJobsInput[] = [];
  closed = false;
  /** Called for every new WatchEvents call: open it, fail it, or leave it pending. */
  onWatch: (s: FakeStream) => void = (s) => s.open();
  jobs: JobInfo[];
  details: Record<string, GetJobResponse>;
  private readonly streamWaiters: { n: number; resolve: (s: FakeStream) => void }[] = [];

  constructor(opts: FakeGatewayOptions = {}) {
    this.jobs = opts.jobs ?? [];
    this.details = opts.details ?? {};
  }

  /** Resolves with the n-th (0-based) WatchEvents call once it is made. */
  stream(n: number): Promise<FakeStream> {
    const existing = this.streams[n];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => this.streamWaiters.push({ n, resolve }));
  }

  watchEvents(req: WatchEventsInput = {}, opts: WatchOptions = {}): EventStream {
    const s = new FakeStream(req);
    opts.signal?.addEventListener("abort", () => s.cancel(), { once: true });
    this.streams.push(s);
    this.onWatch(s);
    for (const w of this.streamWaiters.filter((w) => w.n === this.streams.length - 1)) w.resolve(s);
    return s;
  }

  async listJobs(query: ListJobsInput = {}): Promise<ListJobsResponse> {
    this.listCalls.push(query);
    const jobs = this.jobs.filter((j) => !query.state || j.state === query.state);
    return { jobs: jobs.slice(0, query.limit || 20), nextCursor: "" };
  }

  async getJob(jobId: string, opts?: GetJobOptions): Promise<GetJobResponse> {
    this.getJobs.push({ jobId, opts });
    const d = this.details[jobId];
    if (d) return d;
    const job = this.jobs.find((j) => j.jobId === jobId);
    if (!job) throw new CortexError(ErrorCode.JobNotFound, `job ${jobId} not found`);
    return { job, resultJson: "", contextJson: "", events: [] };
  }

  async explainPolicy(): Promise<never> {
    throw new CortexError(ErrorCode.Internal, "the fake gateway has no policy");
  }

  async cancelJob(jobId: string, reason = ""): Promise<CancelJobResponse> {
    this.cancels.push({ jobId, reason });
    return { jobId, state: "CANCELLED", cancelled: true };
  }

  async listApprovals(): Promise<ListApprovalsResponse> {
    const held = this.jobs.filter((j) => j.state === "AWAITING_APPROVAL");
    return { approvals: held.map((job) => ({ job, contextJson: "" })), nextCursor: "" };
  }

  /** Records the decision; the job's new state reaches the TUI as the test pushes events. */
  async decideApproval(input: DecideApprovalInput): Promise<DecideApprovalResponse> {
    this.decisions.push(input);
    const job = this.jobs.find((j) => j.jobId === input.jobId);
    if (!job) throw new CortexError(ErrorCode.JobNotFound, `job ${input.jobId} not found`);
    return { job: { ...job, state: input.approve ? "SCHEDULED" : "DENIED" } };
  }

  async listDeadLetters(): Promise<ListDeadLettersResponse> {
    return { letters: [], nextCursor: "" };
  }

  async retryDeadLetter(id: string): Promise<RetryDeadLetterResponse> {
    throw new Error(`fake gateway: no dead letter ${id}`);
  }

  async getStatus(): Promise<GetStatusResponse> {
    return {
      components: [
        {
          name: "gateway",
          state: "running",
          address: "fake:1",
          pid: 1,
          startedAtMs: 0,
          detail: "",
          metricsAddress: "",
        },
        {
          name: "scheduler",
          state: "running",
          address: "",
          pid: 1,
          startedAtMs: 0,
          detail: "",
          metricsAddress: "",
        },
      ],
      version: "0.1.0",
      pid: 1,
      startedAtMs: 0,
      natsUrl: "nats://fake",
      redisUrl: "redis://fake",
      natsConnected: true,
      redisConnected: true,
      backend: "nats",
      dataPath: "",
      instanceId: "fake",
      httpAddress: "",
    };
  }

  async listWorkers(): Promise<ListWorkersResponse> {
    return {
      workers: [],
      pools: [{ pool: "echo", liveWorkers: 1, activeJobs: 0, capacity: 4, topics: ["job.echo"] }],
    };
  }

  async submitJob(): Promise<never> {
    throw new Error("not used by the TUI");
  }

  async getJobStatus(): Promise<never> {
    throw new Error("not used by the TUI");
  }

  submitAndWatch(): never {
    throw new Error("not used by the TUI");
  }

  submitMany(): never {
    throw new Error("not used by the TUI");
  }

  close(): void {
    this.closed = true;
  }
}
