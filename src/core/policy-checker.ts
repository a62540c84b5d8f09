/**
 * The one call code outside the safety kernel needs from it: allow, deny or hold a job's topic
 * for a tenant. The gRPC safety client implements it; workers get one injected, so they never
 * open channels themselves.
 */
import type { ApprovalTerms } from "./policy.js";

export interface PolicyCheckRequest {
  jobId: string;
  topic: string;
  tenant: string;
}

export interface PolicyVerdict {
  decision: "ALLOW" | "DENY" | "REQUIRE_APPROVAL";
  reason: string;
  /** The rule that decided; undefined when the default effect did. */
  ruleId?: string | undefined;
  /** With REQUIRE_APPROVAL: who may decide and by when. */
  approval?: ApprovalTerms | undefined;
}

export interface PolicyChecker {
  /** Rejects (e.g. SAFETY_UNAVAILABLE) when no answer came; callers choose fail-open or closed. */
  check(req: PolicyCheckRequest): Promise<PolicyVerdict>;
}
