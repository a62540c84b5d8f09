/**
 * The bodies of the store's writes. Each runs inside a transaction the store opens (see
 * write-batch.ts), after the store has checked its arguments: it reads the row, checks the
 * guards, then writes the row, its side tables and its events.
 */

import { jobFingerprint, NOT_QUEUED } from "../../core/job-fingerprint.js";
import { keyNames, redisPointer } from "../../core/keys.js";
import { canTransition, isTerminal, type JobState } from "../../core/states.js";
import { parseJson } from "../job-codec.js";
import type {
  AdmitOutcome,
  FinishOutcome,
  FinishRequest,
  JobEventRecord,
  NewJob,
  ResultOutcome,
  ResultWrite,
  TransitionOutcome,
  TransitionRequest,
} from "../job-store.js";
import { newJobRow, rowToJob } from "./job-row.js";
import { applyMoves, type Move, pendingEvent, planSteps, rowState } from "./moves.js";
import { pruneEventStream } from "./retention.js";
import type { Statements } from "./statements.js";

/** Pointers keep the Redis key shape: v1 consumers parse `redis://res:<id>`. */
const KEYS = keyNames("");
export const contextPointer = (jobId: string): string => redisPointer(KEYS.ctx(jobId));
export const resultPointer = (jobId: string): string => redisPointer(KEYS.res(jobId));

export class JobWrites {
  private eventsSincePrune = 0;

  constructor(
    private readonly stmts: Statements,
    private readonly retentionMs: number,
    private readonly streamMax: number,
  ) {}

  admit(
    job: NewJob,
    moves: readonly Move[],
    ctxJson: string | undefined,
    approvalJson?: string,
  ): AdmitOutcome {
    const fingerprint = jobFingerprint(job);
    const taken = this.stmts.getJob.get(job.jobId);
    if (taken) {
      // never queued, so never ran: replaced (history kept), so a failed submit can be retried
      const retry =
        taken.state === "FAILED" &&
        taken.reason_code === NOT_QUEUED &&
        taken.tenant === job.tenant &&
        taken.fingerprint === fingerprint;
      if (!retry) {
        const existing: AdmitOutcome = {
          ok: false,
          code: "exists",
          current: rowState(taken),
          attempts: taken.attempts,
          job: rowToJob(taken),
        };
        if (taken.fingerprint !== null) existing.fingerprint = taken.fingerprint;
        return existing;
      }
      this.stmts.deleteJob.run(job.jobId);
    }
    const now = Date.now();
    const created = newJobRow(job, now, contextPointer(job.jobId), fingerprint, approvalJson);
    const { row, events } = applyMoves(created, moves, now, this.retentionMs);
    if (ctxJson !== undefined) this.stmts.putContext.run(job.jobId, ctxJson);
    this.stmts.insertJob.run(row);
    const stored = [pendingEvent(created, now), ...events].map((e) => this.addEvent(job.jobId, e));
    return { ok: true, job: rowToJob(row), events: stored };
  }

  finish(req: FinishRequest, resultJson: string | undefined, from: readonly JobState[]): FinishOutcome {
    const { jobId, attempt, workerId } = req;
    const current = this.stmts.getJob.get(jobId);
    if (!current) return { ok: false, code: "not_found" };
    const state = rowState(current);
    const refused = (late: boolean): FinishOutcome => ({
      ok: false,
      code: "not_allowed",
      current: state,
      attempts: current.attempts,
      late,
    });
    if (isTerminal(state)) {
      if (resultJson === undefined) return refused(false);
      this.recordLate(jobId, attempt, workerId, resultJson, true);
      return refused(true);
    }
    if (!from.includes(state)) return refused(false);
    const plan = planSteps(state, current.attempts, req.steps);
    if (!plan.ok || plan.attempts !== attempt) return refused(false);
    const now = Date.now();
    const moves = plan.moves.map((m) => ({ ...m, workerId }));
    const { row, events } = applyMoves(current, moves, now, this.retentionMs);
    let resultPtr: string | undefined;
    if (resultJson !== undefined) {
      resultPtr = resultPointer(jobId);
      this.stmts.putResult.run(jobId, resultJson);
      // a redelivered putResult of this attempt is then a duplicate
      this.stmts.claimResult.run(jobId, attempt, workerId);
      row.result_ptr = resultPtr;
      row.updated_at = now;
    }
    this.stmts.updateJob.run(row);
    const stored = events.map((e) => this.addEvent(jobId, e));
    const outcome: FinishOutcome = { ok: true, job: rowToJob(row), from: state, events: stored };
    if (resultPtr !== undefined) outcome.resultPtr = resultPtr;
    return outcome;
  }

  transition(req: TransitionRequest, moves: readonly Move[], approvalJson?: string): TransitionOutcome {
    const current = this.stmts.getJob.get(req.jobId);
    if (!current) return { ok: false, code: "not_found" };
    const state = rowState(current);
    const first = moves[0];
    const allowed =
      first !== undefined && canTransition(state, first.to) && (!req.from || req.from.includes(state));
    if (!allowed || (req.expectAttempt !== undefined && req.expectAttempt !== current.attempts)) {
      return { ok: false, code: "not_allowed", current: state, attempts: current.attempts };
    }
    const { row, events } = applyMoves(current, moves, Date.now(), this.retentionMs);
    if (req.resultPtr) row.result_ptr = req.resultPtr;
    if (req.reasonCode) row.reason_code = req.reasonCode;
    if (approvalJson !== undefined) row.approval = approvalJson;
    this.stmts.updateJob.run(row);
    const stored = events.map((e) => this.addEvent(req.jobId, e));
    const event = stored.at(-1) as JobEventRecord;
    const outcome: TransitionOutcome = { ok: true, job: rowToJob(row), from: state, event, events: stored };
    if (req.withContext) {
      const ctx = this.stmts.getContext.get(req.jobId);
      if (ctx) outcome.context = parseJson(ctx.json, "context") as Record<string, unknown>;
    }
    if (req.withResult) {
      const res = this.stmts.getResult.get(req.jobId);
      if (res) outcome.resultJson = res.json;
    }
    return outcome;
  }

  putResult(write: ResultWrite, resultJson: string): ResultOutcome {
    const { jobId, attempt, workerId } = write;
    const resultPtr = resultPointer(jobId);
    const current = this.stmts.jobState.get(jobId);
    // A job that is gone expired after it finished, so its result is late as well.
    if (!current || isTerminal(current.state as JobState)) {
      this.recordLate(jobId, attempt, workerId, resultJson, current !== undefined);
      return { stored: false, late: true, resultPtr };
    }
    if (this.stmts.claimResult.run(jobId, attempt, workerId).changes === 0) {
      return { stored: false, duplicate: true, resultPtr };
    }
    this.stmts.putResult.run(jobId, resultJson);
    return { stored: true, resultPtr };
  }

  /** The per-job history is only kept while the job exists (no orphan histories). */
  appendEvent(body: Omit<JobEventRecord, "seq">): JobEventRecord {
    return this.addEvent(this.stmts.jobState.get(body.jobId) ? body.jobId : null, body);
  }

  private addEvent(historyOf: string | null, body: Omit<JobEventRecord, "seq">): JobEventRecord {
    const { lastInsertRowid } = this.stmts.addEvent.run(historyOf, JSON.stringify(body));
    // The stream is trimmed every half stream length, not on every event.
    if (++this.eventsSincePrune >= Math.max(this.streamMax / 2, 1)) {
      this.eventsSincePrune = 0;
      pruneEventStream(this.stmts, this.streamMax);
    }
    return { seq: Number(lastInsertRowid), ...body };
  }

  private recordLate(jobId: string, attempt: number, workerId: string, json: string, count: boolean): void {
    const now = Date.now();
    this.stmts.addLate.run(jobId, attempt, workerId, now, json, now + this.retentionMs);
    if (count) this.stmts.countLate.run(jobId);
  }
}
