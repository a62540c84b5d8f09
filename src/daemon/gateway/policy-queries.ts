/**
 * ExplainPolicy and the rules in force, shared by gRPC and HTTP: answered from the policy
 * this process holds when the safety kernel runs here, else by the remote kernel's Explain,
 * so the answer is always the policy jobs are actually admitted by.
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import {
  explainPolicy,
  type PolicyExplanation,
  type PolicyRequest,
  type SafetyPolicy,
} from "../../core/policy.js";
import { explanationToWire } from "../../core/policy-wire.js";
import type { PolicyExplainRequest, PolicyExplainResponse } from "../../gen/cortex/v1/safety.js";
import { requestProblem } from "../safety/check-handler.js";
import type { SafetyClient } from "../safety/safety-client.js";
import { type Principal, scopedTenant } from "./auth.js";

/** Where the gateway's policy answers come from. */
export interface PolicySource {
  explain(req: PolicyRequest): Promise<PolicyExplanation>;
  /** The rules in force; undefined when they are held by a kernel in another process. */
  readonly policy?: SafetyPolicy | undefined;
}

export function localPolicySource(policy: SafetyPolicy): PolicySource {
  return { policy, explain: async (req) => explainPolicy(policy, req) };
}

export function remotePolicySource(client: Pick<SafetyClient, "explain">): PolicySource {
  return { explain: (req) => client.explain(req) };
}

export interface PolicyDeps {
  policySource?: PolicySource | undefined;
}

function source(deps: PolicyDeps): PolicySource {
  if (deps.policySource) return deps.policySource;
  throw new CortexError(ErrorCode.SafetyUnavailable, "this gateway has no safety policy to explain", {
    hint: "Run the gateway in a daemon with the safety component, or with SAFETY_KERNEL_ADDR naming a kernel.",
  });
}

/** A tenant-bound key explains for its own tenant only (scopedTenant); the topic is checked as SafetyKernel.Check does. */
export async function explainFor(
  deps: PolicyDeps,
  req: { topic: string; tenant: string },
  principal: Principal,
): Promise<PolicyExplanation> {
  const problem = requestProblem(req);
  if (problem !== undefined)
    throw new CortexError(ErrorCode.InvalidArgument, problem, { details: { field: "topic" } });
  const tenant = scopedTenant(principal, req.tenant);
  return source(deps).explain({ topic: req.topic, tenant });
}

/** CortexApi.ExplainPolicy. */
export async function explainPolicyCall(
  deps: PolicyDeps,
  req: PolicyExplainRequest,
  principal: Principal,
): Promise<PolicyExplainResponse> {
  return explanationToWire(await explainFor(deps, req, principal));
}

/** The rules in force, read-only; a tenant-bound key sees only the rules that can apply to its tenant. */
export function policyInForce(deps: PolicyDeps, principal: Principal): SafetyPolicy {
  const policy = source(deps).policy;
  const own = principal.tenant;
  if (policy && own === undefined) return policy;
  if (policy)
    return {
      ...policy,
      rules: policy.rules.filter((r) => !r.tenants?.length || r.tenants.includes(own ?? "")),
    };
  throw new CortexError(
    ErrorCode.SafetyUnavailable,
    "the safety kernel runs in another process (SAFETY_KERNEL_ADDR): its rules are not held here",
    { hint: "Ask the kernel with `cortex policy explain --topic T`, or read its SAFETY_CONFIG_PATH file." },
  );
}
