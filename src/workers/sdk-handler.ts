/**
 * Runs a worker-SDK definition (src/sdk) as a JobHandler: builds the handler's ctx, checks
 * the input and output schemas, and turns NonRetryableError into a code the retry policy
 * never retries. Everything else (acks, attempts, timeouts) stays the runtime's.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import type { LlmClient } from "../llm/index.js";
import type {
  ChildJobOutcome,
  ChildJobRequest,
  TopicDefinition,
  WorkerContext,
  WorkerDefinition,
  WorkerLog,
} from "../sdk/definition.js";
import { isNonRetryableError } from "../sdk/errors.js";
import { describeIssues, type StandardSchemaV1 } from "../sdk/standard-schema.js";
import type { JobHandler, JobInput } from "./handler.js";
import { ProgressKind } from "./progress.js";

/** What a handler's ctx reaches beyond its job: given by whoever runs the runtime. */
export interface SdkServices {
  submitChild(parent: JobInput, req: ChildJobRequest & { jobId: string }): Promise<{ jobId: string }>;
  waitJob(jobId: string, timeoutMs: number, signal: AbortSignal): Promise<ChildJobOutcome>;
  llm(): LlmClient;
  log(job: JobInput): WorkerLog;
}

/** How long ctx.wait waits when not told: longer than any job here may run anyway. */
const DEFAULT_WAIT_MS = 24 * 3600_000;

async function validate(schema: StandardSchemaV1, value: unknown): Promise<StandardSchemaV1.Result<unknown>> {
  return schema["~standard"].validate(value);
}

/** The handler for every topic of `definition`, picked by the job's topic. */
export function sdkJobHandler(definition: WorkerDefinition, services: SdkServices): JobHandler {
  const handlers = new Map(
    Object.entries(definition.topics).map(([topic, def]) => [topic, sdkTopicHandler(def, services)]),
  );
  return async (job, signal) => {
    const handler = handlers.get(job.topic);
    if (handler === undefined) {
      throw new CortexError(
        ErrorCode.NoPool,
        `no handler for topic ${job.topic} in pool ${definition.pool}`,
        {
          hint: "Route the topic in pools.yaml to the pool whose worker defines it.",
        },
      );
    }
    return handler(job, signal);
  };
}

/** The context at `path`, to tell a missing field from a wrong one. */
function valueAt(context: unknown, path: readonly string[]): unknown {
  let value = context;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** Names the field ("has no \"prompt\"") before the schema's own words, and shows the topic's example. */
function inputRejected(
  job: JobInput,
  topic: TopicDefinition,
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
): CortexError {
  const path = (issues[0]?.path ?? []).map((p) =>
    String(typeof p === "object" && p !== null && "key" in p ? p.key : p),
  );
  const field = path.join(".");
  const schema = `${job.topic}'s input schema: ${describeIssues(issues)}`;
  const problem =
    field === ""
      ? `does not match ${schema}`
      : `has ${valueAt(job.context, path) === undefined ? "no" : "an invalid"} "${field}" (${schema})`;
  const example =
    topic.example === undefined ? "" : ` Give the job a context like ${JSON.stringify(topic.example)}.`;
  return new CortexError(ErrorCode.InvalidArgument, `job ${job.jobId}: the context ${problem}`, {
    hint: `Fix the job's context; the handler did not run.${example}`,
    details: { field: field || "context" },
  });
}

/** What the SDK does not hand user handlers but cortex's own kinds need (see builtinJob). */
const JOBS = new WeakMap<WorkerContext, Pick<JobInput, "envVars" | "progress">>();

/**
 * For cortex's own kinds only: the env_vars a job's children inherit and progress of any
 * kind (the orchestrator's step notes are "progress", not tokens). Kept off WorkerContext
 * so the public SDK stays what users need.
 */
export function builtinJob(ctx: WorkerContext): Pick<JobInput, "envVars" | "progress"> {
  const job = JOBS.get(ctx);
  if (job === undefined)
    throw new CortexError(ErrorCode.Internal, `job ${ctx.jobId}: ctx was not built by sdkTopicHandler`, {
      hint: "Run built-in kinds through sdkTopicHandler / sdkJobHandler.",
    });
  return job;
}

/** One topic's definition as a JobHandler, whatever topic the job came on. */
export function sdkTopicHandler(topic: TopicDefinition, services: SdkServices): JobHandler {
  return async (job, signal) => {
    let input: unknown = job.context;
    if (topic.input) {
      const checked = await validate(topic.input, job.context);
      if (checked.issues) throw inputRejected(job, topic, checked.issues);
      input = checked.value;
    }
    let children = 0;
    const ctx: WorkerContext = {
      jobId: job.jobId,
      traceId: job.traceId,
      tenant: job.tenant,
      attempt: job.attempt,
      topic: job.topic,
      workerId: job.workerId,
      signal,
      progress: (text) => job.progress(text, ProgressKind.Token),
      submit: (req) => {
        children += 1;
        return services.submitChild(job, { ...req, jobId: req.jobId ?? `${job.jobId}-c-${children}` });
      },
      wait: (jobId, opts) => services.waitJob(jobId, opts?.timeoutMs ?? DEFAULT_WAIT_MS, signal),
      get llm() {
        return services.llm();
      },
      log: services.log(job),
    };
    JOBS.set(ctx, { envVars: job.envVars, progress: job.progress });
    let value: unknown;
    try {
      value = await topic.handler(input, ctx);
    } catch (err) {
      if (isNonRetryableError(err))
        throw new CortexError(ErrorCode.NonRetryable, err.message, { cause: err });
      throw err;
    }
    if (!topic.output) return value;
    const checked = await validate(topic.output, value);
    if (checked.issues) {
      throw new CortexError(
        ErrorCode.NonRetryable,
        `the handler of ${job.topic} returned a result its output schema rejects: ${describeIssues(checked.issues)}`,
        { hint: "Fix the handler or its output schema." },
      );
    }
    return checked.value;
  };
}

/** For built-in kinds that need no services: a call is a bug, said plainly. */
export function servicesUnavailable(kind: string): SdkServices {
  const missing = (what: string) => (): never => {
    throw new CortexError(ErrorCode.Internal, `worker ${kind} was built without ${what}`, {
      hint: "Run it through WorkersComponent, which gives SDK workers their services.",
    });
  };
  const silent = () => undefined;
  return {
    submitChild: missing("child jobs"),
    waitJob: missing("job waits"),
    llm: missing("an LLM client"),
    log: () => ({ info: silent, warn: silent, error: silent, debug: silent }),
  };
}
