/**
 * JobStore on Redis, with the key layout of DESIGN.md (readable with redis-cli). Every
 * operation is one round trip: multi-key changes are Lua scripts (atomic, no WATCH loops),
 * batch reads are pipelines.
 */
import type { Redis } from "ioredis";
import {
  DEAD_LETTER_DEFAULT_MAX,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterQuery,
} from "../core/dead-letter.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { type KeyNames, keyNames, redisPointer } from "../core/keys.js";
import {
  canTransition,
  isJobState,
  isTerminal,
  type JobState,
  REASON_REQUIRED,
  TERMINAL_STATES,
} from "../core/states.js";
import { DecodeFailures } from "./decode-failures.js";
import {
  decodeEvent,
  decodeJob,
  jsonTail,
  pairsToRecord,
  parseJson,
  timestampField,
  toJson,
} from "./job-codec.js";
import type {
  AdmitOutcome,
  AdmitRequest,
  FinishOutcome,
  FinishRequest,
  JobEventRecord,
  JobPage,
  JobRecord,
  JobStore,
  JobStoreOptions,
  ListJobsQuery,
  NewJob,
  ResultOutcome,
  ResultWrite,
  StoreStats,
  TransitionOutcome,
  TransitionRequest,
} from "./job-store.js";
import { allowedFromList } from "./move-steps.js";
import { type ConnectionOptions, connectRedis, toStoreError } from "./redis-connection.js";
import { type DeadLetterCommands, PUT_DEAD_LETTER, RedisDeadLetters } from "./redis-dead-letters.js";
import { defineListCommands, type ListCommands, listJobsOnRedis } from "./redis-list-jobs.js";
import { admitArgs, admitOutcome, finishArgs, finishOutcome, type MoveContext } from "./redis-move-calls.js";
import { ADMIT_JOB, FINISH_ATTEMPT } from "./redis-move-scripts.js";
import { APPEND_EVENT, PUT_RESULT, TRANSITION } from "./redis-scripts.js";

export type { StoreLogger } from "./redis-connection.js";

/** The connection's url, logger, timeouts and TLS files, and the store's own options. */
export type RedisStoreOptions = JobStoreOptions & ConnectionOptions;

const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
const DEFAULT_EVENT_STREAM_MAX = 10_000;

type Arg = string | number;

/** The scripts, as ioredis registers them with defineCommand. */
interface ScriptCommands extends DeadLetterCommands, ListCommands {
  cortexTransition(...args: Arg[]): Promise<[string, unknown?, unknown?, unknown?, unknown?]>;
  cortexPutResult(...args: Arg[]): Promise<"late" | "duplicate" | "stored">;
  cortexAppendEvent(...args: Arg[]): Promise<number>;
  cortexAdmitJob(...args: Arg[]): Promise<[string, unknown?, unknown?, unknown?]>;
  cortexFinishAttempt(...args: Arg[]): Promise<[string, unknown?, unknown?, unknown?]>;
}

const TERMINAL_LIST = `,${[...TERMINAL_STATES].join(",")},`;

export async function createRedisStore(opts: RedisStoreOptions): Promise<RedisJobStore> {
  for (const [name, value] of [
    ["retentionSeconds", opts.retentionSeconds],
    ["eventStreamMax", opts.eventStreamMax],
    ["deadLetterMax", opts.deadLetterMax],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw invalid(`store option ${name} must be a positive integer, got ${value}`);
    }
  }
  const redis = await connectRedis(opts);
  const scripted = redis as Redis & ScriptCommands;
  scripted.defineCommand("cortexTransition", TRANSITION);
  scripted.defineCommand("cortexPutResult", PUT_RESULT);
  scripted.defineCommand("cortexAppendEvent", APPEND_EVENT);
  scripted.defineCommand("cortexAdmitJob", ADMIT_JOB);
  scripted.defineCommand("cortexFinishAttempt", FINISH_ATTEMPT);
  scripted.defineCommand("cortexPutDeadLetter", PUT_DEAD_LETTER);
  defineListCommands(scripted);
  return new RedisJobStore(scripted, opts);
}

export class RedisJobStore implements JobStore {
  readonly keys: KeyNames;
  private readonly retention: number;
  private readonly streamMax: number;
  private readonly url: string;
  private readonly failures: DecodeFailures;
  private readonly moveContext: MoveContext;
  private readonly deadLetters: RedisDeadLetters;
  private closed = false;

  constructor(
    private readonly redis: Redis & ScriptCommands,
    opts: RedisStoreOptions,
  ) {
    this.keys = keyNames(opts.prefix ?? "");
    this.retention = opts.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    this.streamMax = opts.eventStreamMax ?? DEFAULT_EVENT_STREAM_MAX;
    this.url = opts.url;
    this.failures = new DecodeFailures(opts.logger);
    this.moveContext = { keys: this.keys, retention: this.retention, streamMax: this.streamMax };
    this.deadLetters = new RedisDeadLetters(
      redis,
      this.keys,
      this.retention,
      opts.deadLetterMax ?? DEAD_LETTER_DEFAULT_MAX,
      (fn) => this.call(fn),
    );
  }

  stats(): StoreStats {
    return { decodeFailures: this.failures.total };
  }

  /** Runs one Redis call, turning its failure into a typed CortexError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(this.url, err);
    }
  }

  async createJob(job: NewJob): Promise<JobRecord> {
    const admitted = await this.admitJob({ job, steps: [] });
    if (!admitted.ok) {
      throw new CortexError(ErrorCode.JobExists, `job ${job.jobId} already exists`, {
        hint: "Job ids must be unique; submit again to get a new id.",
        details: { jobId: job.jobId },
      });
    }
    return admitted.job;
  }

  async admitJob(req: AdmitRequest): Promise<AdmitOutcome> {
    const args = admitArgs(this.moveContext, req);
    return admitOutcome(req.job.jobId, await this.call(() => this.redis.cortexAdmitJob(...args)));
  }

  async finishAttempt(req: FinishRequest): Promise<FinishOutcome> {
    const call = finishArgs(this.moveContext, req);
    return finishOutcome(
      req.jobId,
      call,
      await this.call(() => this.redis.cortexFinishAttempt(...call.args)),
    );
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const h = await this.call(() => this.redis.hgetall(this.keys.meta(jobId)));
    return decodeJob(h);
  }

  async getJobs(jobIds: readonly string[]): Promise<(JobRecord | undefined)[]> {
    if (jobIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of jobIds) pipe.hgetall(this.keys.meta(id));
    const replies = await this.call(async () => {
      const res = (await pipe.exec()) ?? [];
      const failed = res.find(([err]) => err);
      if (failed) throw failed[0];
      return res;
    });
    return replies.map(([, h], i) =>
      this.failures.job(jobIds[i] ?? "", () => decodeJob(h as Record<string, string>)),
    );
  }

  async getContext(jobId: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.call(() => this.redis.get(this.keys.ctx(jobId)));
    return raw === null ? undefined : (parseJson(raw, "context") as Record<string, unknown>);
  }

  async transition(req: TransitionRequest): Promise<TransitionOutcome> {
    const { jobId, to, andThen: then } = req;
    if (!isJobState(to)) throw invalid(`unknown job state "${String(to)}"`);
    if (REASON_REQUIRED.has(to) && !req.reason) {
      throw invalid(`moving job ${jobId} to ${to} needs a reason`);
    }
    if (then !== undefined && !(isJobState(then) && canTransition(to, then) && !REASON_REQUIRED.has(then))) {
      throw invalid(`job ${jobId} cannot move on from ${to} to ${String(then)} in the same step`);
    }
    const last = then ?? to;
    const k = this.keys;
    const reply = await this.call(() =>
      this.redis.cortexTransition(
        k.meta(jobId),
        k.events(jobId),
        k.eventStream(),
        k.eventSeq(),
        k.ctx(jobId),
        k.res(jobId),
        k.late(jobId),
        to,
        allowedFromList(to, req.from),
        Date.now(),
        timestampField(to),
        isTerminal(last) ? 1 : 0,
        this.retention,
        req.workerId ?? "",
        req.reason ?? "",
        req.resultPtr ?? "",
        req.incrementAttempts ? 1 : 0,
        req.expectAttempt ?? "",
        this.streamMax,
        k.trace(""),
        jobId,
        k.index(""),
        then ?? "",
        then ? timestampField(then) : "",
        req.withContext ? 1 : 0,
        req.withResult ? 1 : 0,
        req.reasonCode ?? "",
        req.approval ? toJson(req.approval, "approval") : "",
      ),
    );
    const [status, a, b, c, d] = reply;
    if (status === "not_found") return { ok: false, code: "not_found" };
    if (status === "not_allowed") {
      const current = String(a);
      if (!isJobState(current)) throw invalid(`job ${jobId} is in an unknown state "${current}"`);
      return { ok: false, code: "not_allowed", current, attempts: Number(b) };
    }
    const job = decodeJob(pairsToRecord(b as unknown[])) as JobRecord;
    const events = (a as string[]).map(decodeEvent);
    const first = events[0];
    const event = events[events.length - 1];
    if (!first || !event) throw invalid(`the store returned no event for job ${jobId}`);
    const outcome: TransitionOutcome = { ok: true, job, from: first.from as JobState, event, events };
    if (req.withContext && typeof c === "string") {
      outcome.context = parseJson(c, "context") as Record<string, unknown>;
    }
    if (req.withResult && typeof d === "string") outcome.resultJson = d;
    return outcome;
  }

  async putResult(write: ResultWrite): Promise<ResultOutcome> {
    const { jobId, attempt, workerId } = write;
    const k = this.keys;
    const resultPtr = redisPointer(k.res(jobId));
    const resultJson = toJson(write.result ?? null, "result");
    // The late entry is assembled in Lua around the result, so the result is sent once.
    const lateHead = `${JSON.stringify({ attempt, workerId, at: Date.now() }).slice(0, -1)},"result":`;
    const outcome = await this.call(() =>
      this.redis.cortexPutResult(
        k.meta(jobId),
        k.resultGuard(jobId, attempt),
        k.res(jobId),
        k.late(jobId),
        attempt,
        workerId,
        resultJson,
        this.retention,
        TERMINAL_LIST,
        lateHead,
      ),
    );
    if (outcome === "late") return { stored: false, late: true, resultPtr };
    if (outcome === "duplicate") return { stored: false, duplicate: true, resultPtr };
    return { stored: true, resultPtr };
  }

  async getResult(jobId: string): Promise<unknown | undefined> {
    const raw = await this.call(() => this.redis.get(this.keys.res(jobId)));
    return raw === null ? undefined : parseJson(raw, "result");
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.call(() => listJobsOnRedis(this.redis, this.keys, query, this.failures));
  }

  async events(jobId: string): Promise<JobEventRecord[]> {
    const list = await this.call(() => this.redis.lrange(this.keys.events(jobId), 0, -1));
    return this.failures.events(jobId, list);
  }

  async recentEvents(count: number): Promise<JobEventRecord[]> {
    if (count <= 0) return [];
    const entries = await this.call(() =>
      this.redis.xrevrange(this.keys.eventStream(), "+", "-", "COUNT", Math.floor(count)),
    );
    const events: JobEventRecord[] = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const [entryId, fields = []] = entries[i] ?? [];
      const at = fields.indexOf("event");
      const json = at >= 0 ? fields[at + 1] : undefined;
      // The stream mixes jobs: a bad entry is named by its stream id, its job id being unreadable.
      const event = json === undefined ? undefined : this.failures.event(`event stream ${entryId}`, json);
      if (event) events.push(event);
    }
    return events;
  }

  async appendEvent(event: Omit<JobEventRecord, "seq" | "at"> & { at?: number }): Promise<JobEventRecord> {
    const { seq: _ignored, ...rest } = event as typeof event & { seq?: number };
    const body = { ...rest, at: event.at ?? Date.now() };
    const k = this.keys;
    const seq = await this.call(() =>
      this.redis.cortexAppendEvent(
        k.meta(event.jobId),
        k.events(event.jobId),
        k.eventStream(),
        k.eventSeq(),
        this.streamMax,
        jsonTail(body),
      ),
    );
    return { seq, ...body };
  }

  async traceJobs(traceId: string): Promise<string[]> {
    return this.call(() => this.redis.lrange(this.keys.trace(traceId), 0, -1));
  }

  putDeadLetter(letter: DeadLetter): Promise<void> {
    return this.deadLetters.put(letter);
  }

  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    return this.deadLetters.list(query);
  }

  getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return this.deadLetters.get(id);
  }

  deleteDeadLetter(id: string): Promise<boolean> {
    return this.deadLetters.delete(id);
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === "ready") {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through: the connection is going away anyway
      }
    }
    this.redis.disconnect();
  }
}

function invalid(message: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, message);
}
