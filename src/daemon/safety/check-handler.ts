import { type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import { evaluatePolicy, type PolicyVerdict, type SafetyPolicy } from "../../core/policy.js";
import { isValidTopic } from "../../core/subjects.js";
import {
  DecisionType,
  type PolicyCheckRequest,
  type PolicyCheckResponse,
} from "../../gen/cortex/v1/safety.js";

/** Label values of cortex_safety_checks_total{decision}. */
export type CheckOutcome = "allow" | "deny" | "require_approval" | "invalid";

export interface CheckHandlerDeps {
  policy: SafetyPolicy;
  logger: Logger;
  checks: Counter<"decision">;
}

const WIRE_DECISION: Record<PolicyVerdict, DecisionType> = {
  ALLOW: DecisionType.DECISION_TYPE_ALLOW,
  DENY: DecisionType.DECISION_TYPE_DENY,
  REQUIRE_APPROVAL: DecisionType.DECISION_TYPE_REQUIRE_APPROVAL,
};

const OUTCOME: Record<PolicyVerdict, CheckOutcome> = {
  ALLOW: "allow",
  DENY: "deny",
  REQUIRE_APPROVAL: "require_approval",
};

/** The problem with a request, naming the field, or undefined when it can be evaluated. */
export function requestProblem(req: Pick<PolicyCheckRequest, "topic">): string | undefined {
  if (req.topic === "") return "topic: required (the job topic to check, e.g. job.echo)";
  if (!isValidTopic(req.topic)) {
    return `topic: expected dot-separated tokens of letters, digits, _ and - (got ${JSON.stringify(req.topic)})`;
  }
  return undefined;
}

/** SafetyKernel.Check: validates, evaluates the policy (first matching rule wins), counts, logs. */
export function makeCheckHandler(deps: CheckHandlerDeps) {
  const { policy, logger, checks } = deps;
  return (
    call: ServerUnaryCall<PolicyCheckRequest, PolicyCheckResponse>,
    callback: sendUnaryData<PolicyCheckResponse>,
  ): void => {
    const req = call.request;
    const problem = requestProblem(req);
    if (problem !== undefined) {
      checks.inc({ decision: "invalid" });
      logger.warn({ jobId: req.jobId, topic: req.topic, problem }, "safety check rejected: invalid request");
      callback({ code: status.INVALID_ARGUMENT, details: problem });
      return;
    }
    const result = evaluatePolicy(policy, { topic: req.topic, tenant: req.tenant });
    checks.inc({ decision: OUTCOME[result.decision] });
    const fields = {
      jobId: req.jobId,
      topic: req.topic,
      tenant: req.tenant || policy.default_tenant,
      decision: result.decision,
      ruleId: result.ruleId,
      reason: result.reason,
    };
    // Denies and holds are the interesting events for operators; allows are the hot path and stay at debug.
    if (result.decision === "DENY") logger.info(fields, "safety check denied");
    else if (result.decision === "REQUIRE_APPROVAL") logger.info(fields, "safety check requires approval");
    else logger.debug(fields, "safety check allowed");
    callback(null, {
      decision: WIRE_DECISION[result.decision],
      reason: result.reason,
      ruleId: result.ruleId ?? "",
      approvers: [...(result.approval?.approvers ?? [])],
      expiresAfterMs: result.approval?.expiresAfterMs ?? 0,
    });
  };
}
