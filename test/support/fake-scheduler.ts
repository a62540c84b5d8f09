/**
 * The scheduler's side of the worker protocol, for tests that run WorkerRuntimes without
 * one: dispatch a job (record, SCHEDULED, DISPATCHED, JobRequest on its topic) and read
 * JobResults from sys.job.result on the scheduler's own durable consumer.
 */
import type { Bus, WorkConsumer } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { newJobId, newTraceId } from "../../src/core/ids.js";
import { keyNames, redisPointer } from "../../src/core/keys.js";
import { JobState } from "../../src/core/states.js";
import { Streams, Subjects } from "../../src/core/subjects.js";
import { JobPriority, type JobResult } from "../../src/gen/cortex/v1/bus.js";
import type { JobStore } from "../../src/store/job-store.js";

export interface FakeSchedulerDeps {
  bus: Bus;
  store: JobStore;
  /** The store's key prefix (the JobRequest points at the context under it). */
  prefix: string;
}

/** What the scheduler does: job record, DISPATCHED, JobRequest on the topic. Returns the job id. */
export async function dispatchJob(
  { bus, store, prefix }: FakeSchedulerDeps,
  topic: string,
  context: Record<string, unknown>,
  timeoutMs = 0,
): Promise<string> {
  const jobId = newJobId();
  const traceId = newTraceId();
  await store.createJob({ jobId, traceId, topic, tenant: "acme", priority: "INTERACTIVE", context });
  await store.transition({ jobId, to: JobState.Scheduled });
  await store.transition({ jobId, to: JobState.Dispatched });
  const jobRequest = {
    jobId,
    topic,
    priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
    contextPtr: redisPointer(keyNames(prefix).ctx(jobId)),
    adapterId: "",
    envVars: { tenant_id: "acme" },
    parentJobId: "",
    workflowId: "",
    stepIndex: 0,
    attempt: 1,
    timeoutMs,
    contextJson: "",
  };
  await bus.publishDurable(
    topic,
    newPacket({ $case: "jobRequest", jobRequest }, { traceId, senderId: "test-scheduler" }),
    { msgId: `${jobId}:1` },
  );
  return jobId;
}

/** Consumes sys.job.result as the scheduler does, handing every JobResult to `onResult` and acking it. */
export function consumeResults(bus: Bus, onResult: (result: JobResult) => void): Promise<WorkConsumer> {
  return bus.consume(
    {
      stream: Streams.result,
      consumer: "scheduler_result",
      filterSubject: Subjects.jobResult,
      ackWaitMs: 5_000,
      maxDeliver: -1,
      maxInFlight: 32,
    },
    async (msg) => {
      if (msg.packet.payload?.$case === "jobResult") onResult(msg.packet.payload.jobResult);
      await msg.ack();
    },
  );
}
