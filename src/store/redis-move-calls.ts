/**
 * The arguments and replies of the admission and finish scripts (redis-move-scripts.ts):
 * what goes into one EVALSHA and what comes back, kept apart from the store's plumbing.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { jobFingerprint, NOT_QUEUED } from "../core/job-fingerprint.js";
import { type KeyNames, redisPointer } from "../core/keys.js";
import { isJobState, type JobState, TERMINAL_STATES } from "../core/states.js";
import { decodeEvent, decodeJob, encodeNewJob, jsonTail, pairsToRecord, toJson } from "./job-codec.js";
import type { AdmitOutcome, AdmitRequest, FinishOutcome, FinishRequest, JobRecord } from "./job-store.js";
import { checkSteps, stepArgs } from "./move-steps.js";

export type Arg = string | number;

export interface MoveContext {
  keys: KeyNames;
  retention: number;
  streamMax: number;
}

const TERMINAL_LIST = `,${[...TERMINAL_STATES].join(",")},`;
const DEFAULT_FINISH_FROM = ",SCHEDULED,DISPATCHED,RUNNING,";

export function admitArgs(ctx: MoveContext, req: AdmitRequest): Arg[] {
  const { job, steps } = req;
  if (!job.jobId || !job.traceId) throw invalid("admitJob needs a jobId and a traceId");
  checkSteps(job.jobId, steps);
  const k = ctx.keys;
  const now = Date.now();
  const ctxJson = req.contextStored ? "" : toJson(job.context, "context");
  const fingerprint = jobFingerprint(job);
  const fields = [...encodeNewJob(job, now, redisPointer(k.ctx(job.jobId))), "fingerprint", fingerprint];
  if (req.approval) fields.push("approval", toJson(req.approval, "approval"));
  const pending = {
    at: now,
    kind: "state",
    jobId: job.jobId,
    traceId: job.traceId,
    topic: job.topic,
    tenant: job.tenant,
    to: "PENDING",
    attempt: 0,
  };
  return [
    k.meta(job.jobId),
    k.ctx(job.jobId),
    k.recent(),
    k.trace(job.traceId),
    k.events(job.jobId),
    k.eventStream(),
    k.eventSeq(),
    k.ids(),
    job.jobId,
    now,
    ctxJson,
    req.contextStored ? 1 : 0,
    ctx.streamMax,
    jsonTail(pending),
    ctx.retention,
    k.index(""),
    TERMINAL_LIST,
    fingerprint,
    job.tenant,
    job.traceId,
    NOT_QUEUED,
    ...stepArgs(steps),
    ...fields,
  ];
}

export function admitOutcome(jobId: string, reply: [string, unknown?, unknown?, unknown?]): AdmitOutcome {
  const [status, a, b, c] = reply;
  if (status === "exists") {
    const current = String(a);
    if (!isJobState(current)) throw invalid(`job ${jobId} is in an unknown state "${current}"`);
    const meta = pairsToRecord(c as unknown[]);
    const existing = decodeJob(meta) as JobRecord;
    return {
      ok: false,
      code: "exists",
      current,
      attempts: Number(b),
      job: existing,
      ...(meta.fingerprint === undefined ? {} : { fingerprint: meta.fingerprint }),
    };
  }
  if (status !== "ok") throw invalid(`job ${jobId}: admission steps not allowed from ${String(a)}`);
  return {
    ok: true,
    job: decodeJob(pairsToRecord(b as unknown[])) as JobRecord,
    events: (a as string[]).map(decodeEvent),
  };
}

export interface FinishCall {
  args: Arg[];
  resultPtr: string;
  hasResult: boolean;
}

export function finishArgs(ctx: MoveContext, req: FinishRequest): FinishCall {
  const { jobId, attempt, workerId, steps } = req;
  checkSteps(jobId, steps);
  const k = ctx.keys;
  const hasResult = req.result !== undefined;
  const resultJson = hasResult ? toJson(req.result, "result") : "";
  const resultPtr = redisPointer(k.res(jobId));
  const lateHead = `${JSON.stringify({ attempt, workerId, at: Date.now() }).slice(0, -1)},"result":`;
  const args: Arg[] = [
    k.meta(jobId),
    k.events(jobId),
    k.eventStream(),
    k.eventSeq(),
    k.ctx(jobId),
    k.res(jobId),
    k.late(jobId),
    jobId,
    Date.now(),
    req.from ? `,${req.from.join(",")},` : DEFAULT_FINISH_FROM,
    attempt,
    workerId,
    hasResult ? 1 : 0,
    resultJson,
    resultPtr,
    ctx.retention,
    ctx.streamMax,
    k.trace(""),
    k.index(""),
    TERMINAL_LIST,
    lateHead,
    ...stepArgs(steps),
  ];
  return { args, resultPtr, hasResult };
}

export function finishOutcome(
  jobId: string,
  call: FinishCall,
  reply: [string, unknown?, unknown?, unknown?],
): FinishOutcome {
  const [status, a, b, c] = reply;
  if (status === "not_found") return { ok: false, code: "not_found" };
  if (status === "not_allowed") {
    const current = String(a);
    if (!isJobState(current)) throw invalid(`job ${jobId} is in an unknown state "${current}"`);
    return { ok: false, code: "not_allowed", current, attempts: Number(b), late: Number(c) === 1 };
  }
  const events = (a as string[]).map(decodeEvent);
  const first = events[0];
  if (!first) throw invalid(`the store returned no event for job ${jobId}`);
  const job = decodeJob(pairsToRecord(b as unknown[])) as JobRecord;
  return {
    ok: true,
    job,
    from: first.from as JobState,
    events,
    ...(call.hasResult ? { resultPtr: call.resultPtr } : {}),
  };
}

function invalid(message: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, message);
}
