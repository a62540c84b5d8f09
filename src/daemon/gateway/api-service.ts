/**
 * The CortexApi implementation: thin adapters from grpc-js calls to the query/submit
 * functions (shared with the HTTP API), with authentication, metrics and error mapping
 * done once for every method.
 */
import {
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  Metadata,
  status,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { errFields } from "../../core/clip.js";
import { CortexError } from "../../core/errors.js";
import { API_KEY_METADATA, SUBMIT_ATTEMPT_METADATA } from "../../core/grpc-metadata.js";
import { redactUrl } from "../../core/redact-url.js";
import { TRACEPARENT_HEADER } from "../../core/traceparent.js";
import type { WorkerRegistry } from "../../core/worker-registry.js";
import type {
  CortexApiServer,
  GetStatusResponse,
  JobEvent,
  SubmitJobRequest,
  WatchEventsRequest,
} from "../../gen/cortex/v1/api.js";
import type { ComponentInfo } from "../component.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import { type ApprovalDeps, decideApproval, listApprovals } from "./approvals.js";
import type { ApiKeys, Principal } from "./auth.js";
import { listDeadLetters, retryDeadLetter } from "./dead-letters.js";
import type { EventHub } from "./event-watch.js";
import { grpcStatusFor, toServiceError } from "./grpc-errors.js";
import { probeDeps } from "./http/probes.js";
import { cancelJob, getJob, getJobStatus, listJobs, type QueryDeps } from "./job-queries.js";
import { explainPolicyCall } from "./policy-queries.js";
import { BudgetedWriter, ByteBudget, STREAM_HARD_BYTES, streamBehind } from "./stream-budget.js";
import { submitAndWatch } from "./submit-and-watch.js";
import { SubmitAndWatchMany } from "./submit-and-watch-many.js";
import { type SubmitLimits, submitJob } from "./submit-job.js";
import { scopeWatch, startWatch, type WatchSession, type WatchTransport } from "./watch-session.js";
import { listWorkers } from "./worker-queries.js";

export interface ApiContext extends QueryDeps {
  logger: Logger;
  limits: SubmitLimits;
  registry: WorkerRegistry;
  hub: EventHub;
  poolTopics: Readonly<Record<string, string>>;
  watchBufferSize: number;
  keys: ApiKeys;
  metrics: GatewayMetrics | undefined;
  statusProvider: () => ComponentInfo[] | Promise<ComponentInfo[]>;
  status: {
    version: string;
    pid: number;
    startedAtMs: number;
    redisUrl: string;
    backend: string;
    dataPath: string;
    instanceId: string;
    /** "" until the HTTP API listens. */
    httpAddress: () => string;
  };
  /** Open WatchEvents streams, ended by the gateway on stop. */
  streams: Set<{ end(): void }>;
}

function approvalDeps(ctx: ApiContext): ApprovalDeps {
  return { ...ctx, keysEnabled: ctx.keys.enabled };
}

function authenticate(ctx: ApiContext, call: { metadata: Metadata }): Principal {
  const given = call.metadata.get(API_KEY_METADATA)[0];
  return ctx.keys.authenticate(typeof given === "string" ? given : undefined, "grpc");
}

function codeOf(err: unknown): status {
  return err instanceof CortexError ? grpcStatusFor(err.code) : status.INTERNAL;
}

function logFailure(logger: Logger, method: string, err: unknown): void {
  const code = codeOf(err);
  if (code === status.INTERNAL) logger.error({ err, method }, "gateway call failed");
  else if (code === status.UNAVAILABLE)
    // Expected and handled (an outage, a bad request): code and message, no stack.
    logger.warn({ ...errFields(err), method }, "gateway call failed: dependency unavailable");
  else logger.debug({ ...errFields(err), method }, "gateway call rejected");
}

/** The caller's W3C traceparent (request metadata), "" when none. */
function traceparentOf(md: Metadata): string {
  const value = md.get(TRACEPARENT_HEADER)[0];
  return typeof value === "string" ? value : "";
}

/** A SubmitJob the client sends again (see SUBMIT_ATTEMPT_METADATA). */
function isSubmitRetry(md: Metadata): boolean {
  return Number(md.get(SUBMIT_ATTEMPT_METADATA)[0] ?? 1) > 1;
}

function unary<Req, Res>(
  ctx: ApiContext,
  method: string,
  fn: (req: Req, principal: Principal, metadata: Metadata) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    const observe = (code: status) =>
      ctx.metrics?.observeGrpc(method, code, (performance.now() - started) / 1000);
    Promise.resolve()
      .then(() => fn(call.request, authenticate(ctx, call), call.metadata))
      .then(
        (res) => {
          observe(status.OK);
          callback(null, res);
        },
        (err: unknown) => {
          observe(codeOf(err));
          logFailure(ctx.logger, method, err);
          callback(toServiceError(err));
        },
      );
  };
}

export async function getStatus(ctx: ApiContext): Promise<GetStatusResponse> {
  const [components, probe] = await Promise.all([
    ctx.statusProvider(),
    probeDeps({ ...ctx, checkTimeoutMs: 1_000 }),
  ]);
  return {
    components: components.map((c) => ({ ...c })),
    version: ctx.status.version,
    pid: ctx.status.pid,
    startedAtMs: ctx.status.startedAtMs,
    // Any key may call GetStatus (tenant keys too): the URLs never carry their credentials.
    natsUrl: redactUrl(ctx.bus.status().url),
    redisUrl: redactUrl(ctx.status.redisUrl),
    natsConnected: probe.bus.ok,
    redisConnected: probe.store.ok,
    backend: ctx.status.backend,
    dataPath: ctx.status.dataPath,
    instanceId: ctx.status.instanceId,
    httpAddress: ctx.status.httpAddress(),
  };
}

type StreamCall = Parameters<handleServerStreamingCall<unknown, JobEvent>>[0];

/**
 * One event stream over gRPC. Response headers go out once the request is checked and the
 * watcher registered: a client that waits for them knows every later event reaches it.
 */
function serveStream(
  ctx: ApiContext,
  method: string,
  call: StreamCall,
  start: (principal: Principal, transport: WatchTransport) => WatchSession,
): void {
  let session: WatchSession | undefined;
  const budget = new ByteBudget(STREAM_HARD_BYTES, (held) => {
    session?.close();
    ctx.metrics?.observeGrpc(method, codeOf(streamBehind(held)));
    call.emit("error", toServiceError(streamBehind(held)));
  });
  const writer = new BudgetedWriter(call, budget);
  try {
    session = start(authenticate(ctx, call), {
      write: (ev) => writer.write(ev),
      onDrain: (listener) => writer.onDrain(listener),
      ready: () => {
        ctx.metrics?.observeGrpc(method, status.OK);
        call.sendMetadata(new Metadata());
      },
      end: () => call.end(),
      fail: (err) => {
        ctx.metrics?.observeGrpc(method, codeOf(err));
        logFailure(ctx.logger, method, err);
        call.emit("error", toServiceError(err));
      },
    });
  } catch (err) {
    ctx.metrics?.observeGrpc(method, codeOf(err));
    logFailure(ctx.logger, method, err);
    call.emit("error", toServiceError(err));
    return;
  }
  const cleanup = () => {
    session?.close();
    ctx.streams.delete(call);
  };
  ctx.streams.add(call);
  call.on("cancelled", cleanup);
  call.on("finish", cleanup);
  call.on("close", cleanup);
}

function watchDeps(ctx: ApiContext) {
  return { ...ctx, onDropped: () => ctx.metrics?.droppedEvent("grpc") };
}

function watchEvents(ctx: ApiContext): handleServerStreamingCall<WatchEventsRequest, JobEvent> {
  return (call) =>
    serveStream(ctx, "WatchEvents", call, (principal, transport) =>
      startWatch(watchDeps(ctx), scopeWatch(call.request, principal), principal, transport),
    );
}

function submitAndWatchCall(ctx: ApiContext): handleServerStreamingCall<SubmitJobRequest, JobEvent> {
  return (call) =>
    serveStream(ctx, "SubmitAndWatch", call, (principal, transport) =>
      submitAndWatch(watchDeps(ctx), call.request, principal, transport, traceparentOf(call.metadata)),
    );
}

function submitAndWatchManyCall(ctx: ApiContext): handleBidiStreamingCall<SubmitJobRequest, JobEvent> {
  const method = "SubmitAndWatchMany";
  return (call) => {
    let principal: Principal;
    try {
      principal = authenticate(ctx, call);
    } catch (err) {
      ctx.metrics?.observeGrpc(method, codeOf(err));
      logFailure(ctx.logger, method, err);
      call.emit("error", toServiceError(err));
      return;
    }
    ctx.metrics?.observeGrpc(method, status.OK);
    call.sendMetadata(new Metadata());
    // Everything the stream holds (unsent, and queued in its watchers) counts in one budget.
    const budget = new ByteBudget(STREAM_HARD_BYTES, (held) => many.cutOff(streamBehind(held)));
    const writer = new BudgetedWriter(call, budget);
    const many: SubmitAndWatchMany = new SubmitAndWatchMany({ ...watchDeps(ctx), budget }, principal, {
      write: (ev) => writer.write(ev),
      onDrain: (listener) => writer.onDrain(listener),
      end: () => call.end(),
      fail: (err) => {
        ctx.logger.warn({ code: codeOf(err) }, "SubmitAndWatchMany: cut off a client that does not read");
        call.emit("error", toServiceError(err));
      },
      pauseInput: (paused) => (paused ? call.pause() : call.resume()),
    });
    const cleanup = () => {
      many.close();
      ctx.streams.delete(call);
    };
    ctx.streams.add(call);
    call.on("data", (req: SubmitJobRequest) => many.submit(req));
    call.on("end", () => many.endOfInput());
    call.on("cancelled", cleanup);
    call.on("finish", cleanup);
    call.on("close", cleanup);
    call.on("error", cleanup);
  };
}

export function createApiService(ctx: ApiContext): CortexApiServer {
  return {
    submitJob: unary(ctx, "SubmitJob", (req, who, md) =>
      submitJob(ctx, req, who, isSubmitRetry(md), traceparentOf(md)),
    ),
    getJobStatus: unary(ctx, "GetJobStatus", (req, who) => getJobStatus(ctx, req, who)),
    getJob: unary(ctx, "GetJob", (req, who) => getJob(ctx, req, who)),
    listJobs: unary(ctx, "ListJobs", (req, who) => listJobs(ctx, req, who)),
    cancelJob: unary(ctx, "CancelJob", (req, who) => cancelJob(ctx, req, who)),
    listWorkers: unary(ctx, "ListWorkers", async (req) => listWorkers(ctx, req)),
    getStatus: unary(ctx, "GetStatus", () => getStatus(ctx)),
    listDeadLetters: unary(ctx, "ListDeadLetters", (req, who) => listDeadLetters(ctx, req, who)),
    retryDeadLetter: unary(ctx, "RetryDeadLetter", (req, who) => retryDeadLetter(ctx, req, who)),
    listApprovals: unary(ctx, "ListApprovals", (req, who) => listApprovals(approvalDeps(ctx), req, who)),
    decideApproval: unary(ctx, "DecideApproval", (req, who) => decideApproval(approvalDeps(ctx), req, who)),
    explainPolicy: unary(ctx, "ExplainPolicy", (req, who) => explainPolicyCall(ctx, req, who)),
    watchEvents: watchEvents(ctx),
    submitAndWatch: submitAndWatchCall(ctx),
    submitAndWatchMany: submitAndWatchManyCall(ctx),
  };
}
