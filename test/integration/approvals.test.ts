/**
 * Human approval at the jobs layer, on both stores (a real SQLite file, a real redis-server)
 * with the in-process bus: a require_approval rule holds a job, a decision moves it on, the
 * reconciler expires it, a changed job cannot be approved, and of two deciders one wins.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkConsumer } from "../../src/bus/bus.js";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../../src/config/index.js";
import { approvalContentHash, type Decider } from "../../src/core/approval.js";
import { type CortexError, ErrorCode, isCortexError } from "../../src/core/errors.js";
import { newJobId, newTraceId } from "../../src/core/ids.js";
import { keyNames } from "../../src/core/keys.js";
import type { SafetyPolicy } from "../../src/core/policy.js";
import { JobState } from "../../src/core/states.js";
import { Streams, topicConsumerName } from "../../src/core/subjects.js";
import { ApprovalMetrics } from "../../src/daemon/metrics/approval-metrics.js";
import { Scheduler } from "../../src/daemon/scheduler/index.js";
import { JobLifecycle, localPolicy } from "../../src/jobs/index.js";
import type { JobStore, NewJob } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const DEPLOY = "job.deploy";
const pools: PoolsConfig = { topics: { [DEPLOY]: "ops", "job.echo": "echo" } };
const timeouts: TimeoutsConfig = {
  workflows: {},
  topics: {},
  // A short dispatch timeout: a held job must outlive it untouched.
  reconciler: { dispatch_timeout_seconds: 1, running_timeout_seconds: 30, scan_interval_seconds: 60 },
};
const HOUR = 3_600_000;
const policy: SafetyPolicy = {
  default_effect: "allow",
  default_tenant: "default",
  rules: [
    {
      id: "deploys",
      effect: "require_approval",
      topics: [DEPLOY],
      reason: "deploys need a human",
      expires_after: "1h",
    },
  ],
};

const alice: Decider = { name: "alice", tenant: "acme", open: false };
const bob: Decider = { name: "bob", tenant: "acme", open: false };

interface StoreCase {
  store: JobStore;
  /** Overwrites ctx:<id> past the store's API, as a user with redis-cli or sqlite3 could. */
  overwriteContext(jobId: string, ctx: unknown): Promise<void>;
  close(): Promise<void>;
}

let redisServer: RedisHandle | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
}, 30_000);

afterAll(async () => {
  await redisServer?.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stores: Record<string, () => Promise<StoreCase>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), "cortex-approvals-"));
    dirs.push(dir);
    const store = await createSqliteStore({ path: join(dir, "cortex.db") });
    // The store holds its file exclusively, so the raw write goes through its own handle.
    const raw = (store as unknown as { db: Database.Database }).db;
    return {
      store,
      overwriteContext: async (jobId, ctx) => {
        raw.prepare("UPDATE contexts SET json = ? WHERE job_id = ?").run(JSON.stringify(ctx), jobId);
      },
      close: () => store.close(),
    };
  },
  redis: async () => {
    const url = (redisServer as RedisHandle).url;
    const prefix = uniquePrefix();
    const store = await createRedisStore({ url, prefix });
    const redis = new Redis(url);
    return {
      store,
      overwriteContext: async (jobId, ctx) => {
        await redis.set(keyNames(prefix).ctx(jobId), JSON.stringify(ctx));
      },
      close: async () => {
        redis.disconnect();
        await store.close();
      },
    };
  },
};

describe.each(Object.keys(stores))("approvals on %s", (name) => {
  let sc: StoreCase;
  let bus: MemoryBus;
  let jobs: JobLifecycle;
  let registry: Registry;
  let now: number;
  const clock = () => now;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    now = Date.now();
    sc = await (stores[name] as () => Promise<StoreCase>)();
    bus = new MemoryBus();
    await bus.provision();
    registry = new Registry();
    jobs = new JobLifecycle(
      { bus, store: sc.store, logger, pools, timeouts, senderId: "test", clock },
      localPolicy(policy),
    );
    jobs.observe(new ApprovalMetrics(registry));
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await jobs.drain();
    await bus.close();
    await sc.close();
  });

  const newDeploy = (over: Partial<NewJob> = {}): NewJob => ({
    jobId: newJobId(),
    traceId: newTraceId(),
    topic: DEPLOY,
    tenant: "acme",
    priority: "INTERACTIVE",
    context: { service: "api", version: "1.2.3" },
    envVars: { REGION: "eu" },
    ...over,
  });

  async function held(over: Partial<NewJob> = {}) {
    const job = newDeploy(over);
    const admitted = await jobs.admission.admit(job, { live: true, onSafetyDown: "throw" });
    expect(admitted.outcome).toBe("held");
    return { job, record: admitted.job };
  }

  /** The work queue of job.deploy, as the ops pool's worker would take it. */
  async function workQueue(): Promise<string[]> {
    const seen: string[] = [];
    const consumer: WorkConsumer = await bus.consume(
      {
        stream: Streams.jobs,
        consumer: topicConsumerName(DEPLOY),
        filterSubject: DEPLOY,
        ackWaitMs: 5_000,
        maxDeliver: 1,
        maxInFlight: 4,
      },
      async (msg) => {
        if (msg.packet.payload?.$case === "jobRequest") seen.push(msg.packet.payload.jobRequest.jobId);
        await msg.ack();
      },
    );
    cleanups.push(() => consumer.stop());
    return seen;
  }

  const metric = async (decision: string): Promise<number> => {
    const m = await registry.getSingleMetric("cortex_safety_approvals_total")?.get();
    return m?.values.find((v) => v.labels.decision === decision)?.value ?? 0;
  };

  async function failure(p: Promise<unknown>): Promise<CortexError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isCortexError(err)) throw new Error(`expected a CortexError, got ${String(err)}`);
    return err;
  }

  it("holds the job with its approval record and never dispatches it; approve dispatches it", async () => {
    const queue = await workQueue();
    const { job, record } = await held();
    expect(record).toMatchObject({
      state: JobState.AwaitingApproval,
      reason: "waiting for approval (rule deploys)",
    });
    expect(record.approval).toEqual({
      ruleId: "deploys",
      ruleReason: "deploys need a human",
      approvers: [],
      requestedAt: now,
      expiresAt: now + HOUR,
      contentHash: approvalContentHash({ topic: DEPLOY, context: job.context, envVars: job.envVars }),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(queue).toEqual([]);

    now += 90_000;
    const approved = await jobs.decideApproval(
      { jobId: job.jobId, approve: true, reason: "ship it", decider: alice },
      () => true,
    );
    expect(approved).toMatchObject({ state: JobState.Dispatched, reason: "approved by alice: ship it" });
    expect(approved.approval).toMatchObject({
      decision: "approved",
      decidedBy: "alice",
      decidedAt: now,
      decisionReason: "ship it",
    });
    await expect.poll(() => queue, { timeout: 3_000 }).toEqual([job.jobId]);
    const events = await sc.store.events(job.jobId);
    expect(events.map((e) => e.to)).toEqual(["PENDING", "AWAITING_APPROVAL", "SCHEDULED", "DISPATCHED"]);
    expect(events[2]?.reason).toBe("approved by alice: ship it");
    expect(await metric("approved")).toBe(1);
    expect(await registry.getSingleMetricAsString("cortex_safety_approval_wait_seconds")).toMatch(
      /^cortex_safety_approval_wait_seconds_sum 90$/m,
    );
  });

  it("an approval with no live worker leaves the job SCHEDULED, as any job waits", async () => {
    const { job } = await held();
    const approved = await jobs.decideApproval({
      jobId: job.jobId,
      approve: true,
      reason: "",
      decider: alice,
    });
    expect(approved).toMatchObject({ state: JobState.Scheduled, reason: "approved by alice" });
  });

  it("reject ends the job DENIED with the approver's reason; a rejection needs a reason", async () => {
    const { job } = await held();
    const noReason = await failure(
      jobs.decideApproval({ jobId: job.jobId, approve: false, reason: "  ", decider: bob }),
    );
    expect(noReason.code).toBe(ErrorCode.InvalidArgument);
    expect((await sc.store.getJob(job.jobId))?.state).toBe(JobState.AwaitingApproval);

    const rejected = await jobs.decideApproval({
      jobId: job.jobId,
      approve: false,
      reason: "not during the freeze",
      decider: bob,
    });
    expect(rejected).toMatchObject({
      state: JobState.Denied,
      reason: "rejected by bob: not during the freeze",
    });
    expect(rejected.approval).toMatchObject({ decision: "rejected", decidedBy: "bob" });
    expect(await metric("rejected")).toBe(1);

    const again = await failure(
      jobs.decideApproval({ jobId: job.jobId, approve: true, reason: "", decider: alice }),
    );
    expect(again.code).toBe(ErrorCode.NotAwaitingApproval);
    expect(again.message).toContain("DENIED");
  });

  it("unknown jobs are JOB_NOT_FOUND; the rule's approvers and the job's tenant bound who decides", async () => {
    const missing = await failure(
      jobs.decideApproval({ jobId: newJobId(), approve: true, reason: "", decider: alice }),
    );
    expect(missing.code).toBe(ErrorCode.JobNotFound);
    const { job } = await held();
    const other = await failure(
      jobs.decideApproval({
        jobId: job.jobId,
        approve: true,
        reason: "",
        decider: { name: "mallory", tenant: "globex", open: false },
      }),
    );
    expect(other.code).toBe(ErrorCode.PermissionDenied);
    expect(other.message).toContain("tenant globex");
    expect((await sc.store.getJob(job.jobId))?.state).toBe(JobState.AwaitingApproval);
  });

  it("expires through the reconciler: DENIED 'approval expired'; the dispatch timeout never touches a held job", async () => {
    const scheduler = new Scheduler({
      bus,
      store: sc.store,
      jobs,
      pools,
      timeouts,
      metrics: new Registry(),
      logger,
      clock,
      registryWarmupMs: 0,
    });
    await scheduler.start();
    cleanups.push(() => scheduler.stop());
    const { job } = await held();
    // Far past the 1 s dispatch timeout, before the 1 h expiry.
    now += 30 * 60_000;
    await scheduler.reconcileNow();
    expect((await sc.store.getJob(job.jobId))?.state).toBe(JobState.AwaitingApproval);

    now += 31 * 60_000;
    await scheduler.reconcileNow();
    const expired = await sc.store.getJob(job.jobId);
    expect(expired).toMatchObject({ state: JobState.Denied, reason: "approval expired" });
    expect(expired?.approval).toMatchObject({ decision: "expired", decidedBy: "", decidedAt: now });
    expect(await metric("expired")).toBe(1);
  });

  it("a job whose content changed cannot be approved (APPROVAL_STALE) and stays held", async () => {
    const { job } = await held();
    await sc.overwriteContext(job.jobId, { service: "api", version: "6.6.6" });
    const err = await failure(
      jobs.decideApproval({ jobId: job.jobId, approve: true, reason: "", decider: alice }),
    );
    expect(err.code).toBe(ErrorCode.ApprovalStale);
    expect(err.hint).toMatch(/look at the job again/i);
    expect((await sc.store.getJob(job.jobId))?.state).toBe(JobState.AwaitingApproval);
    // Rejecting it is still possible.
    const rejected = await jobs.decideApproval({
      jobId: job.jobId,
      approve: false,
      reason: "changed under us",
      decider: alice,
    });
    expect(rejected.state).toBe(JobState.Denied);
  });

  it("an approver who saw other content (content_hash) is refused; the matching hash approves", async () => {
    const { record } = await held();
    const hash = record.approval?.contentHash ?? "";
    const err = await failure(
      jobs.decideApproval({
        jobId: record.jobId,
        approve: true,
        reason: "",
        decider: alice,
        contentHash: "0".repeat(64),
      }),
    );
    expect(err.code).toBe(ErrorCode.ApprovalStale);
    const ok = await jobs.decideApproval({
      jobId: record.jobId,
      approve: true,
      reason: "",
      decider: alice,
      contentHash: hash,
    });
    expect(ok.state).toBe(JobState.Scheduled);
  });

  it("of two concurrent decisions exactly one wins; the other gets NOT_AWAITING_APPROVAL", async () => {
    for (let round = 0; round < 5; round++) {
      const { job } = await held();
      const results = await Promise.allSettled([
        jobs.decideApproval({ jobId: job.jobId, approve: true, reason: "go", decider: alice }),
        jobs.decideApproval({ jobId: job.jobId, approve: false, reason: "stop", decider: bob }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(isCortexError((lost[0] as PromiseRejectedResult).reason, ErrorCode.NotAwaitingApproval)).toBe(
        true,
      );
      const final = await sc.store.getJob(job.jobId);
      const winner = (won[0] as PromiseFulfilledResult<{ state: string }>).value;
      expect(final?.state).toBe(winner.state);
      const moves = (await sc.store.events(job.jobId)).filter((e) => e.from === JobState.AwaitingApproval);
      expect(moves).toHaveLength(1);
    }
  });

  it("a held job can be cancelled", async () => {
    const { job } = await held();
    const out = await jobs.stop(job.jobId, "cancelled by user");
    expect(out.ok && out.job.state).toBe(JobState.Cancelled);
  });

  it("admitPending (a deferred job) holds it the same way, hashing the stored content", async () => {
    const job = newDeploy();
    await sc.store.admitJob({ job, steps: [] });
    const out = await jobs.admission.admitPending(job, true);
    expect(out.ok && out.job.state).toBe(JobState.AwaitingApproval);
    const stored = await sc.store.getJob(job.jobId);
    expect(stored?.approval?.contentHash).toBe(
      approvalContentHash({ topic: DEPLOY, context: job.context, envVars: job.envVars }),
    );
  });

  it("jobs the rule does not hold are admitted as before", async () => {
    const admitted = await jobs.admission.admit(newDeploy({ topic: "job.echo" }), {
      live: false,
      onSafetyDown: "throw",
    });
    expect(admitted).toMatchObject({ outcome: "scheduled", job: { state: JobState.Scheduled } });
    expect(admitted.job.approval).toBeUndefined();
  });
});
