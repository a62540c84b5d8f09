import { type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { explainPolicy, type SafetyPolicy } from "../../core/policy.js";
import { explanationToWire } from "../../core/policy-wire.js";
import type { PolicyExplainRequest, PolicyExplainResponse } from "../../gen/cortex/v1/safety.js";
import { requestProblem } from "./check-handler.js";

export interface ExplainHandlerDeps {
  policy: SafetyPolicy;
  logger: Logger;
}

/** SafetyKernel.Explain: the same evaluation as Check, with the rules looked at on the way. A query: not counted as a check. */
export function makeExplainHandler(deps: ExplainHandlerDeps) {
  const { policy, logger } = deps;
  return (
    call: ServerUnaryCall<PolicyExplainRequest, PolicyExplainResponse>,
    callback: sendUnaryData<PolicyExplainResponse>,
  ): void => {
    const req = call.request;
    const problem = requestProblem(req);
    if (problem !== undefined) {
      logger.debug({ topic: req.topic, problem }, "safety explain rejected: invalid request");
      callback({ code: status.INVALID_ARGUMENT, details: problem });
      return;
    }
    callback(null, explanationToWire(explainPolicy(policy, { topic: req.topic, tenant: req.tenant })));
  };
}
