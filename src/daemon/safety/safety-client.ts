import { type ChannelOptions, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import type { PolicyDecision, PolicyExplanation, PolicyRequest } from "../../core/policy.js";
import { explanationFromWire } from "../../core/policy-wire.js";
import {
  DecisionType,
  type PolicyCheckResponse,
  type PolicyExplainResponse,
  SafetyKernelClient,
} from "../../gen/cortex/v1/safety.js";
import { DecisionCache } from "./decision-cache.js";

export interface SafetyCheckRequest {
  jobId: string;
  topic: string;
  /** Empty or omitted: the kernel applies its default tenant. */
  tenant?: string | undefined;
}

/** What the scheduler needs from the safety kernel; swappable for an in-process checker later. */
export interface SafetyClient {
  /**
   * Asks the kernel whether the job may run. Throws CortexError SAFETY_UNAVAILABLE when the
   * kernel cannot answer in time (callers stay fail-closed), INVALID_ARGUMENT for a bad request.
   */
  check(req: SafetyCheckRequest): Promise<PolicyDecision>;
  /** The kernel's decision with the rules it checked (SafetyKernel.Explain); never cached. Same errors as check. */
  explain(req: PolicyRequest): Promise<PolicyExplanation>;
  close(): void;
}

export interface SafetyClientOptions {
  /** host:port of the kernel (SAFETY_KERNEL_ADDR). */
  address: string;
  /** Deadline of one check, connection set-up included. */
  timeoutMs?: number;
  /** How long a decision is reused for the same (topic, tenant); 0 disables. */
  cacheTtlMs?: number;
}

/**
 * grpc-js backs off up to 120 s between reconnects by default, which would keep every job
 * blocked for minutes after a kernel restart. The kernel is a local or LAN neighbour, so
 * retrying the connection within a second is cheap.
 */
const CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
};

export function createSafetyClient(opts: SafetyClientOptions): SafetyClient {
  const { address, timeoutMs = 2000, cacheTtlMs = 2000 } = opts;
  // One channel for the client's lifetime: grpc-js connects lazily and reconnects on its own.
  const grpc = new SafetyKernelClient(address, credentials.createInsecure(), CHANNEL_OPTIONS);
  const cache = new DecisionCache(cacheTtlMs);
  let closed = false;

  const ask = (req: SafetyCheckRequest): Promise<PolicyCheckResponse> =>
    new Promise((resolve, reject) => {
      grpc.check(
        { jobId: req.jobId, topic: req.topic, tenant: req.tenant ?? "" },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });

  const askExplain = (req: PolicyRequest): Promise<PolicyExplainResponse> =>
    new Promise((resolve, reject) => {
      grpc.explain(
        { topic: req.topic, tenant: req.tenant ?? "" },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });

  return {
    async explain(req) {
      if (closed) throw unavailable(address, "the safety client is closed", undefined);
      try {
        return explanationFromWire(await askExplain(req));
      } catch (err) {
        throw toCortexError(address, err);
      }
    },
    async check(req) {
      const tenant = req.tenant ?? "";
      const cached = cache.get(req.topic, tenant);
      if (cached !== undefined) return cached;
      if (closed) throw unavailable(address, "the safety client is closed", undefined);
      let res: PolicyCheckResponse;
      try {
        res = await ask(req);
      } catch (err) {
        throw toCortexError(address, err);
      }
      const decision = fromWire(res);
      // Only an explicit answer is policy; a missing decision is denied now but asked again next time.
      if (
        res.decision === DecisionType.DECISION_TYPE_ALLOW ||
        res.decision === DecisionType.DECISION_TYPE_DENY ||
        res.decision === DecisionType.DECISION_TYPE_REQUIRE_APPROVAL
      ) {
        cache.set(req.topic, tenant, decision);
      }
      return decision;
    },
    close() {
      if (closed) return;
      closed = true;
      cache.clear();
      grpc.close();
    },
  };
}

function fromWire(res: PolicyCheckResponse): PolicyDecision {
  const ruleId = res.ruleId === "" ? undefined : res.ruleId;
  if (res.decision === DecisionType.DECISION_TYPE_ALLOW) {
    return ruleId === undefined
      ? { decision: "ALLOW", reason: res.reason }
      : { decision: "ALLOW", reason: res.reason, ruleId };
  }
  if (res.decision === DecisionType.DECISION_TYPE_REQUIRE_APPROVAL) {
    const approval = { approvers: res.approvers, expiresAfterMs: Number(res.expiresAfterMs) };
    return ruleId === undefined
      ? { decision: "REQUIRE_APPROVAL", reason: res.reason, approval }
      : { decision: "REQUIRE_APPROVAL", reason: res.reason, ruleId, approval };
  }
  // Anything but an explicit ALLOW or REQUIRE_APPROVAL (DENY, or a kernel that sent no decision) is a deny: fail closed.
  const reason =
    res.decision === DecisionType.DECISION_TYPE_DENY
      ? res.reason
      : res.reason || "safety kernel returned no decision";
  return ruleId === undefined ? { decision: "DENY", reason } : { decision: "DENY", reason, ruleId };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number";
}

function toCortexError(address: string, err: unknown): CortexError {
  if (isServiceError(err) && err.code === status.INVALID_ARGUMENT) {
    return new CortexError(ErrorCode.InvalidArgument, `safety check rejected: ${err.details}`, {
      hint: "The job's topic must be dot-separated tokens of letters, digits, _ and - (e.g. job.echo).",
      cause: err,
    });
  }
  // Unreachable, past the deadline, or a server that does not speak SafetyKernel: no answer either way.
  const what = isServiceError(err) ? `${status[err.code] ?? err.code}: ${err.details}` : String(err);
  return unavailable(address, what, err);
}

const unavailable = (address: string, what: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.SafetyUnavailable, `safety kernel unavailable at ${address} (${what})`, {
    hint: "Start the safety kernel (cortex daemon --only safety) or set SAFETY_KERNEL_ADDR to a reachable one.",
    cause,
    details: { address, grpcCode: isServiceError(cause) ? cause.code : undefined },
  });
