/** Packets, inboxes and work-queue helpers shared by the Bus contract files and adapter tests. */
import type { Bus, WorkHandler, WorkMessage, WorkQueueOptions } from "../../src/bus/bus.js";
import { newPacket, type PacketPayload } from "../../src/bus/codec.js";
import { Streams } from "../../src/core/subjects.js";
import {
  type BusPacket,
  Heartbeat,
  JobCancel,
  JobPriority,
  JobProgress,
  JobRequest,
  JobResult,
  JobStatus,
  SystemAlert,
  WorkerList,
} from "../../src/gen/cortex/v1/bus.js";

export interface BusContractContext {
  bus: Bus;
  restartServer?: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/** What the contract parts get: the shared bus, and a way to make one of their own. */
export interface ContractEnv {
  bus(): Bus;
  fresh(): Promise<BusContractContext>;
}

/** A truncated packet: field 1 claims 5 bytes and carries 1. */
export const UNDECODABLE = new Uint8Array([0x0a, 0x05, 0x41]);

const run = Math.random().toString(36).slice(2, 8);
let seq = 0;
export const uid = (): string => `${run}_${++seq}`;

export function packet(payload: PacketPayload, traceId = uid()): BusPacket {
  return newPacket(payload, { traceId, senderId: "contract" });
}

export function jobPacket(jobId: string): BusPacket {
  return packet({
    $case: "jobRequest",
    jobRequest: JobRequest.fromPartial({ jobId, topic: "job.contract" }),
  });
}

export function jobIdOf(p: BusPacket): string {
  return p.payload?.$case === "jobRequest" ? p.payload.jobRequest.jobId : "";
}

/** One packet of every payload kind, with non-default fields so a lossy codec shows. */
export function everyPayloadKind(): PacketPayload[] {
  const hb = Heartbeat.fromPartial({
    workerId: "w1",
    region: "local",
    type: "cpu",
    cpuLoad: 12.5,
    activeJobs: 2,
    capabilities: ["echo", "chat"],
    pool: "echo",
    maxParallelJobs: 4,
  });
  return [
    {
      $case: "jobRequest",
      jobRequest: JobRequest.fromPartial({
        jobId: "j1",
        topic: "job.echo",
        priority: JobPriority.JOB_PRIORITY_CRITICAL,
        contextPtr: "redis://ctx:j1",
        envVars: { tenant_id: "t1" },
        stepIndex: 3,
        attempt: 2,
        timeoutMs: 1500,
      }),
    },
    {
      $case: "jobResult",
      jobResult: JobResult.fromPartial({
        jobId: "j1",
        status: JobStatus.JOB_STATUS_COMPLETED,
        resultPtr: "redis://res:j1",
        workerId: "w1",
        executionMs: 42,
        attempt: 1,
      }),
    },
    { $case: "heartbeat", heartbeat: hb },
    {
      $case: "alert",
      alert: SystemAlert.fromPartial({ level: "warn", message: "disk", component: "store" }),
    },
    { $case: "workerList", workerList: WorkerList.fromPartial({ workers: [hb, { ...hb, workerId: "w2" }] }) },
    {
      $case: "jobProgress",
      jobProgress: JobProgress.fromPartial({
        jobId: "j1",
        seq: 7,
        kind: "token",
        text: "héllo ✓",
        workerId: "w1",
      }),
    },
    { $case: "jobCancel", jobCancel: JobCancel.fromPartial({ jobId: "j1", reason: "user" }) },
  ];
}

/** An async queue: push from handlers, await `next()` in the test. */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (this.items.length >= w.n) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves with the first item (already here or still to come) that matches. */
  async find(match: (item: T) => boolean, timeoutMs = 5_000): Promise<T> {
    for (let n = 1; ; n++) {
      const items = await this.count(n, timeoutMs);
      const last = items[n - 1] as T;
      if (match(last)) return last;
    }
  }

  /** Resolves once `n` items in total have arrived. */
  async count(n: number, timeoutMs = 5_000): Promise<T[]> {
    if (this.items.length < n) {
      await new Promise<void>((resolve, reject) => {
        const w = { n, resolve };
        const timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${n} items (have ${this.items.length})`));
        }, timeoutMs);
        w.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(w);
      });
    }
    return this.items.slice(0, n);
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Delivery {
  jobId: string;
  deliveryCount: number;
  at: number;
}

export function workQueue(overrides: Partial<WorkQueueOptions> = {}): WorkQueueOptions {
  const id = uid();
  return {
    stream: Streams.jobs,
    consumer: `contract_${id}`,
    filterSubject: `job.contract_${id}`,
    ackWaitMs: 2_000,
    maxDeliver: -1,
    maxInFlight: 1,
    ...overrides,
  };
}

/** Starts a consumer recording every delivery; `onMessage` decides how to settle. */
export async function consumeRecording(
  bus: Bus,
  opts: WorkQueueOptions,
  onMessage: (m: WorkMessage, d: Delivery) => Promise<void> | void,
) {
  const deliveries = new Inbox<Delivery>();
  const handler: WorkHandler = async (m) => {
    const d = { jobId: jobIdOf(m.packet), deliveryCount: m.deliveryCount, at: Date.now() };
    await onMessage(m, d);
    deliveries.push(d);
  };
  const consumer = await bus.consume(opts, handler);
  return { deliveries, consumer };
}
