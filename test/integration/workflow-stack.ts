/**
 * An in-process stack for workflow tests: real nats-server and redis-server, the safety
 * kernel, the scheduler (reconciler grace 0, so "longer than the running timeout" means
 * it), the gateway, the real worker kinds (orchestrator, planner, code-llm, chat-advanced)
 * on the Ollama fixture, and a scripted `job.test.step` worker whose behaviour a plan step
 * chooses through its input: `sleep_ms`, and `fail_times` (per `key`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { Bus } from "../../src/bus/bus.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { type CortexEnv, loadEnv, type PoolsConfig, type TimeoutsConfig } from "../../src/config/index.js";
import type { SafetyConfig } from "../../src/config/safety.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { parseEventPayload } from "../../src/core/job-event.js";
import { Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { createSafetyClient, type SafetyClient } from "../../src/daemon/safety/safety-client.js";
import { SafetyKernelServer } from "../../src/daemon/safety/safety-server.js";
import { Scheduler } from "../../src/daemon/scheduler/index.js";
import { WorkersComponent } from "../../src/daemon/workers-component.js";
import { JobLifecycle } from "../../src/jobs/index.js";
import type { JobRecord, JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import type { JobHandler } from "../../src/workers/handler.js";
import { ChildWatch } from "../../src/workers/orchestrator/child-watch.js";
import { WorkerRuntime } from "../../src/workers/runtime.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

export const TEST_STEP_TOPIC = "job.test.step";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export const POOLS: PoolsConfig = {
  topics: {
    "job.workflow.demo": "workflow",
    "job.workflow.plan": "workflow",
    "job.code.llm": "code-llm",
    "job.chat.advanced": "chat-advanced",
    [TEST_STEP_TOPIC]: "test",
    // routed, so only the safety kernel stands between a plan and it
    "sys.destroy": "test",
  },
};

const SAFETY: SafetyConfig = {
  default_tenant: "default",
  default_effect: "allow",
  rules: [
    { id: "deny-sys-destroy", effect: "deny", topics: ["sys.destroy"], reason: "sys.destroy is forbidden" },
  ],
};

/** One call of the scripted step worker. */
export interface StepCall {
  jobId: string;
  key: string;
  start: number;
  end: number;
  outcome: "ok" | "failed" | "aborted";
}

export interface WorkflowStack {
  bus: Bus;
  store: JobStore;
  fixture: OllamaFixture;
  client: GatewayClient;
  /** A lifecycle of its own on the same bus and store, for what a human does (approvals). */
  jobs: JobLifecycle;
  metrics: Registry;
  calls: StepCall[];
  /** Submits a workflow the way `cortex submit workflow` does; returns the parent job id. */
  submitWorkflow(context: Record<string, unknown>): Promise<string>;
  /** The job's record once it is terminal. */
  waitTerminal(jobId: string, timeoutMs?: number): Promise<JobRecord>;
  /** Resolves once the job has been in `state` (now or later). */
  waitForState(jobId: string, state: string, timeoutMs?: number): Promise<void>;
  /** Every job of the parent's trace (the parent, its planner and its steps). */
  traceJobs(parentId: string): Promise<JobRecord[]>;
  stop(): Promise<void>;
}

export interface WorkflowStackOptions {
  timeouts: TimeoutsConfig;
  env?: Record<string, string>;
  /** The safety kernel's policy; default: allow all but sys.destroy. */
  safety?: SafetyConfig;
}

export async function startWorkflowStack(opts: WorkflowStackOptions): Promise<WorkflowStack> {
  const [nats, redis, fixture] = await Promise.all([startNats(), startRedis(), startOllamaFixture()]);
  const stops: (() => Promise<unknown>)[] = [
    () => Promise.allSettled([nats.stop(), redis.stop(), fixture.stop()]),
  ];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    return await build(nats, redis, fixture, opts, stops, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function build(
  nats: NatsHandle,
  redis: RedisHandle,
  fixture: OllamaFixture,
  opts: WorkflowStackOptions,
  stops: (() => Promise<unknown>)[],
  stop: () => Promise<void>,
): Promise<WorkflowStack> {
  const env: CortexEnv = loadEnv({
    OLLAMA_URL: fixture.url,
    CORTEX_WORKFLOW_TOPICS: `job.code.llm,job.chat.advanced,${TEST_STEP_TOPIC},sys.destroy`,
    ...opts.env,
  });
  const bus = await connectNatsBus({ url: nats.url, name: "workflow-test", logger });
  stops.push(() => bus.close());
  await bus.provision();
  const store = await createRedisStore({ url: redis.url, prefix: uniquePrefix() });
  stops.push(() => store.close());

  const safety = new SafetyKernelServer({
    policy: opts.safety ?? SAFETY,
    logger,
    host: "127.0.0.1",
    port: 0,
  });
  await safety.start();
  stops.push(() => safety.stop());
  const safetyClient: SafetyClient = createSafetyClient({ address: safety.address() });
  stops.push(async () => safetyClient.close());

  const scheduler = new Scheduler({
    bus,
    store,
    safety: safetyClient,
    pools: POOLS,
    timeouts: opts.timeouts,
    metrics: new Registry(),
    logger,
    runningGraceSeconds: 0,
    registryWarmupMs: 0,
  });
  await scheduler.start();
  stops.push(() => scheduler.stop());

  const gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: { grpcHost: "127.0.0.1", grpcPort: 0, httpPort: 0, poolTopics: POOLS.topics },
  });
  await gateway.start();
  stops.push(() => gateway.stop());
  const client = createGatewayClient({ address: `127.0.0.1:${gateway.ports().grpc}`, timeoutMs: 5_000 });
  stops.push(async () => client.close());

  const metrics = new Registry();
  const workers = new WorkersComponent({
    bus,
    store,
    timeouts: opts.timeouts,
    env,
    kinds: ["orchestrator", "planner", "code-llm", "chat-advanced"],
    logger,
    pools: POOLS,
    safetyAddress: safety.address(),
    metrics,
  });
  await workers.start();
  stops.push(() => workers.stop());

  const calls: StepCall[] = [];
  const failures = new Map<string, number>();
  const stepHandler: JobHandler = async (job, signal) => {
    const key = typeof job.context.key === "string" ? job.context.key : job.jobId;
    const call: StepCall = { jobId: job.jobId, key, start: Date.now(), end: 0, outcome: "ok" };
    calls.push(call);
    try {
      const ms = Number(job.context.sleep_ms ?? 0);
      if (ms > 0) await sleep(ms, undefined, { signal });
      const failed = failures.get(key) ?? 0;
      if (failed < Number(job.context.fail_times ?? 0)) {
        failures.set(key, failed + 1);
        call.outcome = "failed";
        throw new CortexError(ErrorCode.Internal, `scripted failure ${failed + 1} of ${key}`);
      }
      return { job_id: job.jobId, response: `done ${key}`, received: job.context };
    } catch (err) {
      if (signal.aborted) call.outcome = "aborted";
      throw err;
    } finally {
      call.end = Date.now();
    }
  };
  const stepWorker = new WorkerRuntime({
    bus,
    store,
    kind: "test-step",
    pool: "test",
    topics: [TEST_STEP_TOPIC],
    handler: stepHandler,
    concurrency: 4,
    timeoutMs: 20_000,
    maxDeliver: 1,
    logger,
  });
  await stepWorker.start();
  stops.push(() => stepWorker.drain(1_000));

  const watch = new ChildWatch(bus, store, logger);
  stops.push(() => watch.stop());
  const jobs = new JobLifecycle({
    bus,
    store,
    logger,
    pools: POOLS,
    timeouts: opts.timeouts,
    senderId: "test-human",
  });

  return {
    bus,
    store,
    fixture,
    client,
    jobs,
    metrics,
    calls,
    async submitWorkflow(context) {
      const res = await client.submitJob({
        topic: "job.workflow.demo",
        contextJson: JSON.stringify(context),
      });
      return res.jobId;
    },
    async waitTerminal(jobId, timeoutMs = 30_000) {
      const job = await watch.waitTerminal(jobId, Date.now() + timeoutMs, new AbortController().signal);
      if (!job) {
        const now = await store.getJob(jobId);
        throw new Error(`job ${jobId} is still ${now?.state} after ${timeoutMs} ms`);
      }
      return job;
    },
    async waitForState(jobId, state, timeoutMs = 30_000) {
      let seen: () => void = () => undefined;
      const reached = new Promise<void>((r) => {
        seen = r;
      });
      const sub = await bus.subscribeRaw(Subjects.jobEvent, (data) => {
        const { events } = parseEventPayload(new TextDecoder().decode(data), Date.now());
        if (events.some((e) => e.jobId === jobId && e.to === state)) seen();
      });
      try {
        const history = await store.events(jobId);
        if (history.some((e) => e.to === state)) return;
        const timer = setTimeout(() => seen(), timeoutMs);
        await reached;
        clearTimeout(timer);
        const after = await store.events(jobId);
        if (!after.some((e) => e.to === state))
          throw new Error(`job ${jobId} did not reach ${state} in ${timeoutMs} ms`);
      } finally {
        await sub.unsubscribe();
      }
    },
    async traceJobs(parentId) {
      const parent = await store.getJob(parentId);
      if (!parent) return [];
      const ids = await store.traceJobs(parent.traceId);
      return (await store.getJobs(ids)).filter((j): j is JobRecord => j !== undefined);
    },
    stop,
  };
}

/** Routes a model request of the fixture: the planner gets `plans[instruction]`, code-llm a revision, chat text. */
export function scriptedAnswer(plans: ReadonlyMap<string, unknown>) {
  return (req: {
    prompt: string;
    format: unknown;
    messages: { role: string; content: string }[];
  }): string => {
    const instruction = /Instruction: (.*)/.exec(req.prompt)?.[1]?.trim() ?? "";
    const props = (req.format as { properties?: Record<string, unknown> } | null)?.properties ?? {};
    if ("steps" in props) {
      const plan = plans.get(instruction);
      return typeof plan === "string" ? plan : JSON.stringify(plan ?? { steps: [] });
    }
    if ("revised_code" in props) {
      const code = /```[^\n]*\n([\s\S]*)\n```/.exec(req.prompt)?.[1] ?? "";
      return JSON.stringify({ revised_code: `${code.replace(/\n$/, "")}\n// reviewed: ${instruction}\n` });
    }
    return `Explanation: the patch follows the instruction. ${req.prompt.includes("+// reviewed") ? "[saw the patch]" : "[no patch]"}`;
  };
}
