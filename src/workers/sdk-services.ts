/**
 * The services behind a worker-SDK handler's ctx: child jobs admitted through the process's
 * job lifecycle (linked by parent_job_id, as workflow steps are), waits on the job event
 * stream, the shared LLM client, and a logger that tags every line with the job.
 */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { JobLifecycle } from "../jobs/index.js";
import type { LlmClient } from "../llm/index.js";
import type { WorkerLog } from "../sdk/definition.js";
import type { JobStore } from "../store/job-store.js";
import type { JobInput } from "./handler.js";
import { submitChild } from "./orchestrator/child-jobs.js";
import { ChildWatch } from "./orchestrator/child-watch.js";
import type { SdkServices } from "./sdk-handler.js";

export interface SdkServicesOptions {
  bus: Bus;
  store: JobStore;
  jobs: JobLifecycle;
  logger: Logger;
  workerId: string;
  llm: () => LlmClient;
}

export function createSdkServices(opts: SdkServicesOptions): SdkServices & { close(): Promise<void> } {
  const { store, logger } = opts;
  const watch = new ChildWatch(opts.bus, store, logger);
  const childDeps = { jobs: opts.jobs, store, logger, senderId: opts.workerId };
  return {
    async submitChild(parent, req) {
      const record = await store.getJob(parent.jobId);
      const child = await submitChild(
        childDeps,
        {
          jobId: parent.jobId,
          traceId: parent.traceId,
          tenant: parent.tenant,
          priority: record?.priority ?? "INTERACTIVE",
          envVars: parent.envVars,
          workflowId: record?.workflowId || record?.parentJobId || parent.jobId,
        },
        { jobId: req.jobId, topic: req.topic, context: req.context ?? {}, stepIndex: 0 },
      );
      return { jobId: child.jobId };
    },
    async waitJob(jobId, timeoutMs, signal) {
      const ended = await watch.waitTerminal(jobId, Date.now() + timeoutMs, signal);
      const record = ended ?? (await store.getJob(jobId));
      if (!record)
        throw new CortexError(ErrorCode.JobNotFound, `job ${jobId} not found`, {
          hint: "Wait only for jobs this handler submitted (ctx.submit returns their ids).",
        });
      return { jobId, state: record.state, result: ended ? ((await store.getResult(jobId)) ?? null) : null };
    },
    llm: opts.llm,
    log: (job: JobInput): WorkerLog => {
      const at = { jobId: job.jobId, topic: job.topic, attempt: job.attempt };
      return {
        info: (msg, data) => logger.info({ ...data, ...at }, msg),
        warn: (msg, data) => logger.warn({ ...data, ...at }, msg),
        error: (msg, data) => logger.error({ ...data, ...at }, msg),
        debug: (msg, data) => logger.debug({ ...data, ...at }, msg),
      };
    },
    close: () => watch.stop(),
  };
}
