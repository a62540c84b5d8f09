/**
 * The CortexApi implementation: thin adapters from grpc-js calls to the query/submit
 * functions, with authentication and error mapping done once for every method.
 */
import { timingSafeEqual } from "node:crypto";
import { type handleServerStreamingCall, type handleUnaryCall, Metadata, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { API_KEY_METADATA } from "../../client/error-trailers.js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { isJobState, isTerminal } from "../../core/states.js";
import { summarizePools, type WorkerRegistry } from "../../core/worker-registry.js";
import type {
  CortexApiServer,
  GetStatusResponse,
  JobEvent,
  ListWorkersRequest,
  ListWorkersResponse,
  WatchEventsRequest,
} from "../../gen/cortex/v1/api.js";
import type { JobEventRecord } from "../../store/job-store.js";
import type { ComponentInfo } from "../component.js";
import { type EventHub, EventWatcher, filterFromRequest, MAX_BACKFILL } from "./event-watch.js";
import { grpcStatusFor, invalidArgument, jobNotFound, toServiceError } from "./grpc-errors.js";
import { probeDeps } from "./http-health.js";
import { cancelJob, getJob, getJobStatus, listJobs, type QueryDeps } from "./job-queries.js";
import { type SubmitLimits, submitJob } from "./submit-job.js";

export interface ApiContext extends QueryDeps {
  logger: Logger;
  limits: SubmitLimits;
  registry: WorkerRegistry;
  hub: EventHub;
  poolTopics: Readonly<Record<string, string>>;
  watchBufferSize: number;
  apiKey: string | undefined;
  statusProvider: () => ComponentInfo[] | Promise<ComponentInfo[]>;
  status: { version: string; pid: number; startedAtMs: number; redisUrl: string };
  /** Open WatchEvents streams, ended by the gateway on stop. */
  streams: Set<{ end(): void }>;
}

function authorize(ctx: ApiContext, call: { metadata: Metadata }): void {
  if (ctx.apiKey === undefined) return;
  const given = call.metadata.get(API_KEY_METADATA)[0];
  const a = Buffer.from(typeof given === "string" ? given : "", "utf8");
  const b = Buffer.from(ctx.apiKey, "utf8");
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new CortexError(ErrorCode.Unauthenticated, "missing or wrong API key", {
      hint: "Set API_KEY to the key the daemon was started with.",
    });
  }
}

function logFailure(logger: Logger, method: string, err: unknown): void {
  const code = err instanceof CortexError ? grpcStatusFor(err.code) : status.INTERNAL;
  if (code === status.INTERNAL) logger.error({ err, method }, "gateway call failed");
  else if (code === status.UNAVAILABLE)
    logger.warn({ err, method }, "gateway call failed: dependency unavailable");
  else logger.debug({ err, method }, "gateway call rejected");
}

function unary<Req, Res>(
  ctx: ApiContext,
  method: string,
  fn: (req: Req) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => {
        authorize(ctx, call);
        return fn(call.request);
      })
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          logFailure(ctx.logger, method, err);
          callback(toServiceError(err));
        },
      );
  };
}

function listWorkers(ctx: ApiContext, req: ListWorkersRequest): ListWorkersResponse {
  const live = ctx.registry.live(req.pool === "" ? undefined : req.pool);
  const pools = summarizePools(live, ctx.poolTopics).filter((p) => req.pool === "" || p.pool === req.pool);
  return {
    workers: live.map((e) => ({ heartbeat: e.heartbeat, lastSeenMs: e.lastSeenMs })),
    pools,
  };
}

async function getStatus(ctx: ApiContext): Promise<GetStatusResponse> {
  const [components, probe] = await Promise.all([
    ctx.statusProvider(),
    probeDeps({ ...ctx, checkTimeoutMs: 1_000 }),
  ]);
  return {
    components: components.map((c) => ({ ...c })),
    version: ctx.status.version,
    pid: ctx.status.pid,
    startedAtMs: ctx.status.startedAtMs,
    natsUrl: ctx.bus.status().url,
    redisUrl: ctx.status.redisUrl,
    natsConnected: probe.bus.ok,
    redisConnected: probe.store.ok,
  };
}

async function loadBackfill(ctx: ApiContext, req: WatchEventsRequest): Promise<JobEventRecord[]> {
  if (req.backfill < 0) throw invalidArgument("backfill", "must not be negative");
  if (req.jobId !== "" && (await ctx.store.getJob(req.jobId)) === undefined) throw jobNotFound(req.jobId);
  const n = Math.min(req.backfill, MAX_BACKFILL);
  if (n === 0) return [];
  // One job's history is exact; otherwise the last n events overall, filtered by the watcher.
  if (req.jobId !== "") return (await ctx.store.events(req.jobId)).slice(-n);
  return ctx.store.recentEvents(n);
}

/**
 * The watcher is registered before anything is read, and response headers go out once the
 * request is checked: a client that waits for them knows every later event reaches it.
 */
function watchEvents(ctx: ApiContext): handleServerStreamingCall<WatchEventsRequest, JobEvent> {
  return (call) => {
    try {
      authorize(ctx, call);
    } catch (err) {
      call.emit("error", toServiceError(err));
      return;
    }
    const untilTerminal = call.request.untilTerminal && call.request.jobId !== "";
    let ended = false;
    const endStream = () => {
      if (ended) return;
      ended = true;
      cleanup();
      call.end();
    };
    const watcher = new EventWatcher(
      filterFromRequest(call.request),
      {
        write: (ev) => {
          if (ended) return true;
          const ok = call.write(ev);
          if (untilTerminal && isJobState(ev.to) && isTerminal(ev.to)) endStream();
          return ok;
        },
        onDrain: (listener) => call.once("drain", listener),
      },
      ctx.watchBufferSize,
    );
    let removed = false;
    const remove = ctx.hub.add(watcher);
    const cleanup = () => {
      if (removed) return;
      removed = true;
      remove();
      ctx.streams.delete(call);
    };
    ctx.streams.add(call);
    call.on("cancelled", cleanup);
    call.on("finish", cleanup);
    call.on("close", cleanup);
    Promise.resolve()
      .then(async () => {
        const backfill = await loadBackfill(ctx, call.request);
        if (removed) return;
        call.sendMetadata(new Metadata());
        watcher.goLive(backfill);
        // Terminal before the watch began, with the terminal event outside the backfill asked for.
        if (untilTerminal && !ended) {
          const job = await ctx.store.getJob(call.request.jobId);
          if (job && isTerminal(job.state)) endStream();
        }
      })
      .catch((err: unknown) => {
        logFailure(ctx.logger, "WatchEvents", err);
        cleanup();
        call.emit("error", toServiceError(err));
      });
  };
}

export function createApiService(ctx: ApiContext): CortexApiServer {
  return {
    submitJob: unary(ctx, "SubmitJob", (req) => submitJob(ctx, req)),
    getJobStatus: unary(ctx, "GetJobStatus", (req) => getJobStatus(ctx, req)),
    getJob: unary(ctx, "GetJob", (req) => getJob(ctx, req)),
    listJobs: unary(ctx, "ListJobs", (req) => listJobs(ctx, req)),
    cancelJob: unary(ctx, "CancelJob", (req) => cancelJob(ctx, req)),
    listWorkers: unary(ctx, "ListWorkers", async (req) => listWorkers(ctx, req)),
    getStatus: unary(ctx, "GetStatus", () => getStatus(ctx)),
    watchEvents: watchEvents(ctx),
  };
}
