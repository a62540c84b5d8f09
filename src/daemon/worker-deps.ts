/**
 * Builds each worker kind's typed dependencies from the validated config: the daemon is the
 * only place that reads env for workers and constructs their clients. Shared clients are
 * built once: one LLM client (on first use, its health logged once) and one safety kernel
 * channel for plan checks (grpc-js connects on the first check), closed by close().
 */
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { Bus } from "../bus/bus.js";
import type { CortexEnv } from "../config/env.js";
import type { PoolsConfig, TimeoutsConfig } from "../config/index.js";
import type { PolicyChecker } from "../core/policy-checker.js";
import type { JobLifecycle } from "../jobs/index.js";
import { createLlmClient, type LlmClient, logLlmHealth } from "../llm/index.js";
import type { JobStore } from "../store/job-store.js";
import type { JobHandler } from "../workers/handler.js";
import { type WorkerKindDeps, type WorkerKindName, workerKind } from "../workers/registry.js";
import { planSettingsFromEnv } from "./plan-settings-from-env.js";
import { createSafetyClient } from "./safety/safety-client.js";

export interface WorkerDepsOptions {
  bus: Bus;
  store: JobStore;
  /** The process's job lifecycle: the orchestrator admits its children through it. */
  jobs?: JobLifecycle;
  /** The process's policy (in process or the remote kernel); a safety client is built when absent. */
  policy?: PolicyChecker;
  env: CortexEnv;
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  /** host:port of the safety kernel; default env.SAFETY_KERNEL_ADDR. */
  safetyAddress?: string;
  /** Where the orchestrator's workflow metrics go; default a registry nobody serves. */
  metrics?: Registry;
  logger: Logger;
}

/** Who a handler is built for: its runtime's worker id and logger. */
export interface HandlerOwner {
  workerId: string;
  logger: Logger;
}

export interface WorkerDeps {
  handlerFor(kind: WorkerKindName, owner: HandlerOwner): JobHandler;
  /** The shared LLM client, built on first use (also what SDK handlers get as ctx.llm). */
  llm(): LlmClient;
  /** Closes the shared clients; call after the runtimes drained. */
  close(): void;
}

type DepsBuilders = { [K in WorkerKindName]: (owner: HandlerOwner) => WorkerKindDeps[K] };

export function createWorkerDeps(opts: WorkerDepsOptions): WorkerDeps {
  const { env } = opts;
  let llm: LlmClient | undefined;
  const safety = opts.policy
    ? undefined
    : createSafetyClient({ address: opts.safetyAddress ?? env.SAFETY_KERNEL_ADDR });
  const llmClient = (): LlmClient => {
    if (!llm) {
      const logger = opts.logger.child({ component: "llm" });
      llm = createLlmClient({
        baseUrl: env.OLLAMA_URL,
        model: env.OLLAMA_MODEL,
        ...(env.OLLAMA_TIMEOUT_MS === undefined ? {} : { requestTimeoutMs: env.OLLAMA_TIMEOUT_MS }),
        logger,
      });
      logLlmHealth(llm, logger);
    }
    return llm;
  };
  const policy: PolicyChecker = opts.policy ?? (safety as PolicyChecker);
  const plan = planSettingsFromEnv(env);
  const metrics = opts.metrics ?? new Registry();

  const builders: DepsBuilders = {
    echo: () => ({}),
    "chat-simple": () => ({}),
    "chat-advanced": () => ({ llm: llmClient() }),
    "code-llm": () => ({ llm: llmClient() }),
    orchestrator: (owner) => ({
      workerId: owner.workerId,
      logger: owner.logger,
      bus: opts.bus,
      store: opts.store,
      ...(opts.jobs ? { jobs: opts.jobs } : {}),
      pools: opts.pools,
      timeouts: opts.timeouts,
      plan,
      policy,
      metrics,
    }),
    planner: () => ({
      llm: llmClient(),
      policy,
      pools: opts.pools,
      allowedTopics: plan.allowedTopics,
      explainTopic: plan.explainTopic,
    }),
  };

  const handlerFor = <K extends WorkerKindName>(kind: K, owner: HandlerOwner): JobHandler =>
    workerKind(kind).createHandler(builders[kind](owner));

  return {
    handlerFor,
    llm: llmClient,
    close() {
      safety?.close();
    },
  };
}
